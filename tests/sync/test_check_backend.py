import subprocess
import sys

import httpx

from chris_app.sync.check import check_backend
from chris_app.sync.config import BackendConfig

CONFIG = BackendConfig("https://demo.supabase.co", "anon-key-123456")


def test_without_configuration_the_report_says_guest_mode_and_passes():
    ok, lines = check_backend(None)
    assert ok and "guest mode" in lines[0]


def test_a_reachable_project_is_reported_service_by_service():
    seen = []

    def handler(request):
        seen.append((request.url.path, request.headers["apikey"]))
        return httpx.Response(404 if request.url.path == "/functions/v1/" else 200)

    ok, lines = check_backend(CONFIG, httpx.Client(transport=httpx.MockTransport(handler)))
    assert ok
    assert [p for p, _ in seen] == ["/auth/v1/health", "/rest/v1/", "/storage/v1/status", "/functions/v1/"]
    assert all(key == CONFIG.anon_key for _, key in seen)
    assert lines[1:] == ["Auth: reachable (HTTP 200)", "Database API: reachable (HTTP 200)",
                         "Storage: reachable (HTTP 200)", "Edge functions: reachable (HTTP 404)"]
    assert "anon-key-123456" not in "\n".join(lines)  # the key is never printed whole


def test_a_project_that_answers_badly_is_reported_not_raised():
    """The door's client raises for a 5xx or 429 everywhere else; the check reads statuses itself."""
    answers = {"/auth/v1/health": 503, "/rest/v1/": 429, "/storage/v1/status": 401, "/functions/v1/": 404}
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(answers[r.url.path])))
    ok, lines = check_backend(CONFIG, client)
    assert not ok
    assert lines[1:] == ["Auth: problem (HTTP 503)", "Database API: reachable (HTTP 429)", "Storage: problem (HTTP 401)",
                         "Edge functions: reachable (HTTP 404)"]


def test_an_unreachable_project_fails_the_check():
    def handler(request):
        raise httpx.ConnectError("no route")

    ok, lines = check_backend(CONFIG, httpx.Client(transport=httpx.MockTransport(handler)))
    assert not ok and "Auth: not reachable (ConnectError)" in lines


def test_the_command_line_reports_guest_mode_without_configuration(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "CHRIS_APP_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "chris_app", "--check-backend"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "guest mode" in done.stdout


def test_a_broken_keychain_never_stops_the_app_from_starting(store):
    import keyring.errors

    from chris_app.account import Account

    class LockedKeychain:
        def get_password(self, service, username):
            raise keyring.errors.KeyringLocked("locked")

        def set_password(self, *args):
            raise keyring.errors.KeyringLocked("locked")

        def delete_password(self, *args):
            raise keyring.errors.KeyringLocked("locked")

    account = Account(store, CONFIG, secrets=LockedKeychain())
    account.restore()  # no exception: the member simply signs in again
    assert account.engine is None and account.email is None
