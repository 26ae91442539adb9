"""Google sign-in (PKCE, desktop loopback) and TOTP two-step verification against a GoTrue
stand-in that follows Supabase Auth's documented requests and answers: the PKCE challenge is
checked against the verifier for real (S256), codes are real TOTP codes (pyotp plays the
member's authenticator app), and tokens are JWT-shaped with the `aal` claim GoTrue sets."""

from __future__ import annotations

import json
import threading

import httpx
import pyotp
import pytest

from chris_app.sync.auth import KEYRING_NAME, KEYRING_SERVICE, VERIFIER_NAME, AuthClient, AuthFailed
from chris_app.sync.loopback import google_sign_in_desktop
from tests.sync.fake_gotrue import GoTrue
from tests.sync.test_sync_auth import ANON, T0, UID, URL, MemoryKeyring


@pytest.fixture
def gotrue():
    return GoTrue(UID, "chris@gmail.com", ANON, now=T0)


@pytest.fixture
def keyring():
    return MemoryKeyring()


def client(gotrue, keyring) -> AuthClient:
    return AuthClient(URL, ANON, secrets=keyring, client=httpx.Client(transport=httpx.MockTransport(gotrue)),
                      clock=lambda: float(T0))


def browser(gotrue, seen: list[str], tabs: list[threading.Thread]):
    """The member's browser: goes through Google and lands on the loopback address for real."""

    def open_url(url: str) -> bool:
        seen.append(url)
        back = gotrue.authorize(url)
        tabs.append(threading.Thread(target=lambda: seen.append(httpx.get(back, timeout=5).text), daemon=True))
        tabs[-1].start()
        return True

    return open_url


def test_google_on_a_desktop_goes_through_the_browser_and_a_loopback_redirect(gotrue, keyring):
    seen: list[str] = []
    tabs: list[threading.Thread] = []
    session = google_sign_in_desktop(client(gotrue, keyring), open_browser=browser(gotrue, seen, tabs), wait_s=10)
    tabs[0].join(5)

    authorize = httpx.URL(seen[0])
    assert str(authorize).startswith("https://abc.supabase.co/auth/v1/authorize?")
    redirect = httpx.URL(authorize.params["redirect_to"])
    assert redirect.host == "127.0.0.1" and redirect.path == "/callback" and redirect.port
    [exchange] = gotrue.requests
    assert str(exchange.url) == "https://abc.supabase.co/auth/v1/token?grant_type=pkce"
    assert set(json.loads(exchange.content)) == {"auth_code", "code_verifier"}
    assert session.user_id == UID and session.email == "chris@gmail.com" and session.pending_factor is None
    assert json.loads(keyring.get_password(KEYRING_SERVICE, KEYRING_NAME))["user_id"] == UID
    assert keyring.get_password(KEYRING_SERVICE, VERIFIER_NAME) is None  # used once, then forgotten
    # the browser tab was told to go back to the app (read by the browser thread)
    assert any("You are signed in" in text for text in seen[1:])


def test_each_google_sign_in_uses_a_new_verifier_and_a_stale_code_is_refused_in_words(gotrue, keyring):
    auth = client(gotrue, keyring)
    first = httpx.URL(auth.google_url("chrisapp://open/sign-in")).params["code_challenge"]
    second = httpx.URL(auth.google_url("chrisapp://open/sign-in")).params["code_challenge"]
    assert first != second
    code = gotrue.authorize(auth.google_url("https://app.example/sign-in")).split("code=")[1]
    auth.secrets.set_password(KEYRING_SERVICE, VERIFIER_NAME, "x" * 64)  # a verifier that does not match
    with pytest.raises(AuthFailed) as caught:
        auth.finish_google(code)
    assert caught.value.message == "That Google sign-in expired. Start it again."
    assert auth.session is None and keyring.get_password(KEYRING_SERVICE, KEYRING_NAME) is None


def test_a_cancelled_google_sign_in_says_so_and_keeps_no_session(gotrue, keyring):
    def cancel(url: str) -> bool:
        back = httpx.URL(url).params["redirect_to"] + "?error=access_denied&error_description=The+user+denied"
        threading.Thread(target=lambda: httpx.get(back, timeout=5), daemon=True).start()
        return True

    with pytest.raises(AuthFailed) as caught:
        google_sign_in_desktop(client(gotrue, keyring), open_browser=cancel, wait_s=10)
    assert caught.value.message == "Google sign-in was cancelled."
    assert gotrue.requests == [] and keyring.get_password(KEYRING_SERVICE, KEYRING_NAME) is None


def test_nothing_coming_back_from_the_browser_times_out_with_a_message(gotrue, keyring):
    with pytest.raises(AuthFailed) as caught:
        google_sign_in_desktop(client(gotrue, keyring), open_browser=lambda url: True, wait_s=0.2)
    assert "did not come back" in caught.value.message


def test_totp_enrolment_then_a_new_sign_in_is_held_until_the_code_is_verified(gotrue, keyring):
    auth = client(gotrue, keyring)
    code = gotrue.authorize(auth.google_url("https://app.example/sign-in")).split("code=")[1]
    auth.finish_google(code)

    enrollment = auth.enroll_totp()
    assert enrollment.secret not in repr(enrollment)
    assert enrollment.uri.startswith("otpauth://totp/") and "Chris%20Disciplined" in enrollment.uri
    with pytest.raises(AuthFailed) as wrong:
        auth.verify_totp(enrollment.factor_id, "000000" if pyotp.TOTP(enrollment.secret).now() != "000000" else "111111")
    assert wrong.value.message.startswith("That code is not right.")
    with pytest.raises(AuthFailed) as malformed:
        auth.verify_totp(enrollment.factor_id, "12ab")
    assert malformed.value.message == "Type the 6 digits your authenticator app shows."
    verified = auth.verify_totp(enrollment.factor_id, pyotp.TOTP(enrollment.secret).now())
    assert verified.pending_factor is None
    assert [f["status"] for f in auth.factors()] == ["verified"]

    # the next sign-in (another device) is aal1 and names the factor still to pass
    other = client(gotrue, MemoryKeyring())
    code = gotrue.authorize(other.google_url("https://app.example/sign-in")).split("code=")[1]
    held = other.finish_google(code)
    assert held.pending_factor == enrollment.factor_id
    # a restart during the prompt still knows the code is owed
    restarted = AuthClient(URL, ANON, secrets=other.secrets,
                           client=httpx.Client(transport=httpx.MockTransport(gotrue)), clock=lambda: float(T0))
    assert restarted.restore().pending_factor == enrollment.factor_id
    passed = restarted.verify_totp(enrollment.factor_id, " ".join(pyotp.TOTP(enrollment.secret).now()))
    assert passed.pending_factor is None
    verify = [r for r in gotrue.requests if r.url.path.endswith("/verify")][-1]
    assert set(json.loads(verify.content)) == {"challenge_id", "code"}

    # turning it off needs the aal2 session, which this one now is
    restarted.unenroll(enrollment.factor_id)
    assert gotrue.factors == {}


def test_a_forgotten_password_is_reset_with_the_code_from_the_email(gotrue, keyring):
    auth = client(gotrue, keyring)
    auth.reset_password(" chris@gmail.com ")
    code = gotrue.reset_codes["chris@gmail.com"]
    with pytest.raises(AuthFailed) as wrong:
        auth.recover("chris@gmail.com", "000000" if code != "000000" else "111111")
    assert wrong.value.message == "That code has expired or was already used. Ask for a new email."
    with pytest.raises(AuthFailed) as malformed:
        auth.recover("chris@gmail.com", "12-ab")
    assert malformed.value.message == "Type the code from the email (digits only)."
    session = auth.recover("chris@gmail.com", f"{code[:3]} {code[3:]}")
    auth.set_password("a much better password")

    recover, wrong_try, verify, update = gotrue.requests[-4:]  # the malformed code never left
    assert str(recover.url) == "https://abc.supabase.co/auth/v1/recover"
    assert json.loads(recover.content) == {"email": "chris@gmail.com"}
    assert json.loads(verify.content) == {"type": "recovery", "email": "chris@gmail.com", "token": code}
    assert update.method == "PUT" and str(update.url) == "https://abc.supabase.co/auth/v1/user"
    assert update.headers["authorization"] == f"Bearer {session.access_token}"
    assert json.loads(update.content) == {"password": "a much better password"}
    assert gotrue.password == "a much better password"
    with pytest.raises(AuthFailed):  # the code works once
        auth.recover("chris@gmail.com", code)


def test_a_reset_on_an_account_with_two_step_sets_the_password_only_after_the_authenticator_code(keyring, store):
    import time

    from chris_app.account import Account
    from chris_app.sync.config import BackendConfig

    gotrue = GoTrue(UID, "chris@gmail.com", ANON, now=int(time.time()))  # the account runs on the real clock

    setup = client(gotrue, MemoryKeyring())  # the member turned two-step on earlier, elsewhere
    setup.finish_google(gotrue.authorize(setup.google_url("https://app.example/sign-in")).split("code=")[1])
    factor = setup.enroll_totp()
    setup.verify_totp(factor.factor_id, pyotp.TOTP(factor.secret).now())

    account = Account(store, BackendConfig(URL, ANON), secrets=keyring,
                      http=httpx.Client(transport=httpx.MockTransport(gotrue)))
    account.auth.reset_password("chris@gmail.com")
    said = account.recover("chris@gmail.com", gotrue.reset_codes["chris@gmail.com"], "a much better password")
    assert said.startswith("Now the code from your authenticator app")
    assert account.needs_code and not account.needs_carry and gotrue.password is None
    account.verify_code(pyotp.TOTP(factor.secret).now())
    assert gotrue.password == "a much better password"
    assert not account.needs_code and account.needs_carry  # then the usual question
    with pytest.raises(AuthFailed) as short:
        account.recover("chris@gmail.com", "123456", "short")
    assert short.value.message == "Choose a new password of at least 8 characters."
