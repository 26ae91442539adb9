"""A Supabase stand-in on localhost for several members at once (the hosted web mode's tests).

Each member has their own GoTrue (tests/sync/fake_gotrue.py), their own sync server
(tests/sync/fake_server.py) and their own Storage objects; every request is routed by its
access token to that member's share, as PostgREST and Storage do through the JWT's `sub` and
row level security. A request without a known token gets 401; a Storage path outside the
token's member folder gets 403. Every request is logged with the member it was routed to."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from chris_app.domain.days import is_valid_timezone
from tests.sync.fake_gotrue import GoTrue
from tests.sync.fake_server import FakeServer

ANON_KEY = "anon-key-for-hosted-tests"


@dataclass
class FakeMember:
    user_id: str
    email: str
    password: str
    gotrue: GoTrue
    server: FakeServer
    objects: dict[str, bytes] = field(default_factory=dict)  # "bucket/<user id>/…" → bytes
    lock: threading.Lock = field(default_factory=threading.Lock)  # one request at a time, as a transaction


class Backend:
    def __init__(self, members: list[tuple[str, str, str]]) -> None:
        now = int(time.time())
        self.members = [FakeMember(uid, email, password, GoTrue(uid, email, ANON_KEY, now=now),
                                   FakeServer(uid, email=email))
                        for uid, email, password in members]
        self.refresh_tokens: dict[str, FakeMember] = {}
        self.sign_ins: list[str] = []  # the email of every password sign-in, in order
        self.sign_ups: list[tuple[str, dict]] = []  # (email, the metadata sent) of every new account
        self.deleted: list[str] = []  # members whose account the delete-account function removed
        self.calls: list[tuple[str | None, str, str]] = []  # (member id or None, method, path)
        self._lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None
        self.url = ""

    # -- who is asking ---------------------------------------------------------------------------
    def member_of_token(self, token: str) -> FakeMember | None:
        return next((m for m in self.members if token in m.gotrue.access_tokens), None)

    def session_for(self, member: FakeMember, aal: str = "aal1") -> dict:
        session = member.gotrue.session(aal)
        with self._lock:
            refresh = f"refresh-{member.user_id}-{len(self.refresh_tokens)}"
            self.refresh_tokens[refresh] = member
        return session | {"refresh_token": refresh}

    def sign_up(self, email: str, password: str, data: dict) -> FakeMember | None:
        """A new account; its profile's time zone is the one sent, or UTC when it is missing or
        not a zone (as the `handle_new_user` trigger decides). None when the email is taken."""
        with self._lock:
            if any(m.email == email for m in self.members):
                return None
            self.sign_ups.append((email, data))
            zone = data.get("timezone")
            zone = zone if isinstance(zone, str) and is_valid_timezone(zone) else "UTC"
            uid = str(uuid.uuid4())
            member = FakeMember(uid, email, password, GoTrue(uid, email, ANON_KEY, now=int(time.time())),
                                FakeServer(uid, email=email, timezone=zone))
            self.members.append(member)
            return member

    # -- the server ------------------------------------------------------------------------------
    def start(self) -> str:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status: int, body=None, content_type="application/json", raw: bytes | None = None):
                data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client went away (a live-profile socket given up): nothing to answer

            def token(self) -> str:
                return self.headers.get("Authorization", "").removeprefix("Bearer ")

            def member(self) -> FakeMember | None:
                return backend.member_of_token(self.token())

            def log(self, member: FakeMember | None) -> None:
                backend.calls.append((member.user_id if member else None, self.command, self.path))

            def body(self) -> tuple[bytes, object]:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                is_json = self.headers.get("Content-Type", "").startswith("application/json")
                return raw, (json.loads(raw or b"null") if is_json else None)

            def do_GET(self):
                member = self.member()
                self.log(member)
                if self.headers.get("apikey") != ANON_KEY:
                    return self.reply(401, {"message": "Invalid API key"})
                if member is None:
                    return self.reply(401, {"code": 401, "error_code": "bad_jwt", "msg": "invalid JWT"})
                if self.path == "/auth/v1/user":
                    return self.reply(200, member.gotrue.user())
                prefix = "/storage/v1/object/authenticated/"
                if self.path.startswith(prefix):
                    name = self.path.removeprefix(prefix)
                    if name.split("/")[1:2] != [member.user_id]:
                        return self.reply(403, {"message": "new row violates row-level security policy"})
                    data = member.objects.get(name)
                    if data is None:
                        return self.reply(404, {"message": "Object not found"})
                    return self.reply(200, content_type="application/octet-stream", raw=data)
                return self.reply(404, {"message": f"no route {self.path}"})

            def do_POST(self):
                raw, body = self.body()
                if self.headers.get("apikey") != ANON_KEY:
                    self.log(None)
                    return self.reply(401, {"message": "Invalid API key"})
                if self.path == "/auth/v1/token?grant_type=password":
                    backend.sign_ins.append(str((body or {}).get("email")))
                    member = next((m for m in backend.members if m.email == (body or {}).get("email")), None)
                    self.log(member)
                    if member is None or body.get("password") != member.password:
                        return self.reply(400, {"code": 400, "error_code": "invalid_credentials",
                                                "msg": "Invalid login credentials"})
                    return self.reply(200, backend.session_for(member))
                if self.path == "/auth/v1/signup":  # email confirmation off: GoTrue answers with a session
                    member = backend.sign_up(str((body or {}).get("email")), str((body or {}).get("password")),
                                             (body or {}).get("data") or {})
                    self.log(member)
                    if member is None:
                        return self.reply(422, {"code": 422, "error_code": "user_already_exists",
                                                "msg": "User already registered"})
                    return self.reply(200, backend.session_for(member))
                if self.path == "/auth/v1/token?grant_type=refresh_token":
                    member = backend.refresh_tokens.get((body or {}).get("refresh_token"))
                    self.log(member)
                    if member is None:
                        return self.reply(400, {"code": 400, "error_code": "refresh_token_not_found",
                                                "msg": "Invalid Refresh Token: Refresh Token Not Found"})
                    return self.reply(200, backend.session_for(member))
                member = self.member()
                self.log(member)
                if self.path.startswith("/auth/v1/logout"):
                    if member is not None:
                        member.gotrue.access_tokens.discard(self.token())
                    return self.reply(204)
                if member is None:
                    return self.reply(401, {"code": "PGRST301", "message": "JWT expired"})
                if self.path.startswith("/auth/v1/factors"):  # two-step verification: the member's GoTrue
                    request = httpx.Request("POST", "http://supabase.test" + self.path,
                                            headers=dict(self.headers.items()), content=raw)
                    response = member.gotrue(request)
                    return self.reply(response.status_code, response.json() if response.content else None)
                if self.path == "/rest/v1/rpc/sync_push":
                    with member.lock:
                        return self.reply(200, member.server.push(body["changes"], body["client_id"], body["op_id"]))
                if self.path == "/rest/v1/rpc/sync_pull":
                    with member.lock:
                        return self.reply(200, member.server.pull(body["since"], body.get("client_id")))
                if self.path == "/functions/v1/delete-account":
                    if body != {"confirm": "DELETE"}:
                        return self.reply(400, {"error": {"code": "bad_request", "message": "Confirm with DELETE."}})
                    backend.deleted.append(member.user_id)
                    return self.reply(200, {"deleted": True})
                prefix = "/storage/v1/object/"
                if self.path.startswith(prefix):
                    name = self.path.removeprefix(prefix)
                    if name.split("/")[1:2] != [member.user_id]:
                        return self.reply(403, {"message": "new row violates row-level security policy"})
                    member.objects[name] = raw
                    return self.reply(200, {"Key": name})
                return self.reply(404, {"message": f"no route {self.path}"})

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        return self.url

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
