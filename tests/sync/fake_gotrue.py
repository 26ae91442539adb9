"""Supabase Auth (GoTrue) for tests, as an httpx handler: Google through PKCE (the challenge
is checked against the verifier, S256), TOTP factors with real codes (pyotp), JWT-shaped
tokens carrying the `aal` claim. Used through httpx.MockTransport and, wrapped in an HTTP
server, by the browser tests."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import httpx
import pyotp


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict) -> str:
    return ".".join([b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()), b64(json.dumps(claims).encode()),
                     b64(b"signature-not-checked-by-the-client")])


# GoTrue sends the QR code as SVG markup; a drawing stands in for it here
QR_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="29" height="29" viewBox="0 0 29 29">'
          '<rect width="29" height="29" fill="#fff"/><path d="M1 1h7v7H1zM21 1h7v7h-7zM1 21h7v7H1z" fill="#000"/></svg>')


class GoTrue:
    """One member (Google identity), PKCE flow states, TOTP factors."""

    def __init__(self, user_id: str, email: str, anon_key: str, now: int) -> None:
        self.user_id, self.email, self.anon_key, self.now = user_id, email, anon_key, now
        self.access_tokens: set[str] = set()  # every access token issued (for the REST stand-ins)
        self.reset_codes: dict[str, str] = {}  # email → the code in the last reset email
        self.password: str | None = None  # set through PUT /user
        self.requests: list[httpx.Request] = []
        self.flows: dict[str, str] = {}  # auth code → code challenge
        self.factors: dict[str, dict] = {}  # id → {secret, status}
        self.challenges: dict[str, str] = {}  # challenge id → factor id
        self.issued = 0

    def authorize(self, url: str) -> str:
        """What Google + GoTrue do in the browser: remember the challenge, send back a code."""
        params = httpx.URL(url).params
        assert httpx.URL(url).path == "/auth/v1/authorize"
        assert params["provider"] == "google" and params["code_challenge_method"] == "s256"
        code = str(uuid.uuid4())
        self.flows[code] = params["code_challenge"]
        return f"{params['redirect_to']}?code={code}"

    def user(self) -> dict:
        return {"id": self.user_id, "email": self.email,
                "factors": [{"id": fid, "factor_type": "totp", "status": f["status"], "friendly_name": "phone"}
                            for fid, f in self.factors.items()]}

    def session(self, aal: str) -> dict:
        self.issued += 1
        token = jwt({"sub": self.user_id, "aal": aal, "n": self.issued})
        self.access_tokens.add(token)
        return {"access_token": token, "token_type": "bearer", "expires_in": 3600, "expires_at": self.now + 3600, "refresh_token": f"r-{self.issued}",
                "user": self.user()}

    def aal(self, request: httpx.Request) -> str:
        token = request.headers["authorization"].removeprefix("Bearer ")
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["aal"]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers["apikey"] == self.anon_key
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        if path == "/auth/v1/token" and request.url.params["grant_type"] == "pkce":
            challenge = self.flows.pop(body["auth_code"], None)
            if challenge is None:
                return httpx.Response(404, json={"code": 404, "error_code": "flow_state_not_found",
                                                 "msg": "invalid flow state, no valid flow state found"})
            if b64(hashlib.sha256(body["code_verifier"].encode()).digest()) != challenge:
                return httpx.Response(400, json={"code": 400, "error_code": "bad_code_verifier",
                                                 "msg": "code challenge does not match previously saved code verifier"})
            return httpx.Response(200, json=self.session("aal1"))
        if path == "/auth/v1/user" and request.method == "GET":
            return httpx.Response(200, json=self.user())
        if path == "/auth/v1/recover":
            if body["email"] == self.email:  # (GoTrue answers 200 either way: no account probing)
                self.reset_codes[body["email"]] = f"{uuid.uuid4().int % 1_000_000:06d}"
            return httpx.Response(200, json={})
        if path == "/auth/v1/verify" and body.get("type") == "recovery":
            if self.reset_codes.get(body["email"]) != body["token"]:
                return httpx.Response(403, json={"code": 403, "error_code": "otp_expired",
                                                 "msg": "Token has expired or is invalid"})
            del self.reset_codes[body["email"]]  # one use
            return httpx.Response(200, json=self.session("aal1"))
        if path == "/auth/v1/user" and request.method == "PUT":
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if token not in self.access_tokens:
                return httpx.Response(401, json={"code": 401, "error_code": "bad_jwt", "msg": "invalid JWT"})
            if len(body["password"]) < 8:
                return httpx.Response(422, json={"code": 422, "error_code": "weak_password",
                                                 "msg": "Password should be at least 8 characters."})
            self.password = body["password"]
            return httpx.Response(200, json=self.user())
        if path == "/auth/v1/factors":
            assert body["factor_type"] == "totp"
            fid = str(uuid.uuid4())
            secret = pyotp.random_base32()
            self.factors[fid] = {"secret": secret, "status": "unverified"}
            uri = pyotp.TOTP(secret).provisioning_uri(self.email, issuer_name=body["issuer"])
            return httpx.Response(200, json={"id": fid, "type": "totp", "friendly_name": body["friendly_name"],
                                             "totp": {"qr_code": QR_SVG, "secret": secret, "uri": uri}})
        parts = path.removeprefix("/auth/v1/factors/").split("/")
        if path.startswith("/auth/v1/factors/") and parts[0] not in self.factors:
            return httpx.Response(404, json={"code": 404, "error_code": "mfa_factor_not_found", "msg": "Factor not found"})
        if len(parts) == 2 and parts[1] == "challenge":
            cid = str(uuid.uuid4())
            self.challenges[cid] = parts[0]
            return httpx.Response(200, json={"id": cid, "type": "totp", "expires_at": self.now + 300})
        if len(parts) == 2 and parts[1] == "verify":
            factor = self.factors[parts[0]]
            if self.challenges.pop(body["challenge_id"], None) != parts[0]:
                return httpx.Response(404, json={"code": 404, "error_code": "mfa_factor_not_found", "msg": "no challenge"})
            if not pyotp.TOTP(factor["secret"]).verify(body["code"]):
                return httpx.Response(422, json={"code": 422, "error_code": "mfa_verification_failed",
                                                 "msg": "Invalid TOTP code entered"})
            factor["status"] = "verified"
            return httpx.Response(200, json=self.session("aal2"))
        if len(parts) == 1 and request.method == "DELETE":
            if self.factors[parts[0]]["status"] == "verified" and self.aal(request) != "aal2":
                return httpx.Response(403, json={"code": 403, "error_code": "insufficient_aal",
                                                 "msg": "AAL2 required to unenroll verified factor"})
            del self.factors[parts[0]]
            return httpx.Response(200, json={"id": parts[0]})
        return httpx.Response(404)
