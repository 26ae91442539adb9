"""Error reports (chris_app/reporting.py) against a local fake Sentry ingestion endpoint: a real
crash of a process whose messages, local variables and breadcrumbs hold the test member's email,
name, tokens, member id and affirmation text sends its envelopes, and none of that personal
data is anywhere in them; switched off, nothing arrives."""

import gzip
import json
import secrets
import subprocess
import sys
import threading
import zlib
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chris_app import reporting
from chris_app.services.affirmations import save_new_version
from chris_app.services.day import set_action
from chris_app.services.profile import ensure_profile, update_profile
from chris_app.store import open_store
from chris_app.sync.config import load_sentry_dsn

NOW = datetime(2026, 6, 10, 6, 0, tzinfo=timezone.utc)
CRASHER = Path(__file__).with_name("error_report_crash.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ingestion():
    """Sentry's envelope endpoint (POST /api/<project>/envelope/), keeping each body as sent,
    decompressed."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                raw = gzip.decompress(raw)
            elif encoding == "deflate":
                raw = zlib.decompress(raw)
            else:
                assert encoding in ("", "identity"), f"unexpected encoding {encoding}"
            received.append((self.path, raw))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey{secrets.token_hex(4)}@127.0.0.1:{server.server_address[1]}/1", received
    server.shutdown()


def member() -> dict:
    """Made up at run time, so the crashing code itself never holds them."""
    tag = secrets.token_hex(4)
    return {
        "email": f"rowena.{tag}@example.com",
        "name": f"Rowena Quill{tag}",
        "user_id": "5f0e6c1e-8d3b-4c56-9a57-" + secrets.token_hex(6),
        "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ" + secrets.token_hex(12) + ".c2lnbmF0dXJl" + tag,
        "refresh_token": "rt" + secrets.token_hex(10),
        "affirmation": f"I keep my word to myself {tag} every single morning.",
        "action": f"Call the bank about the loan {tag}",
    }


def prepared_store(tmp_path: Path, person: dict, on: bool) -> Path:
    data = tmp_path / "data"
    store = open_store(data / "chris.sqlite3")
    ensure_profile(store, NOW, "Europe/Berlin")
    update_profile(store, NOW, display_name=person["name"])
    save_new_version(store, NOW, person["affirmation"] + "\nI do the hard thing first.")
    set_action(store, NOW, person["action"])
    reporting.set_enabled(store, NOW, on)
    store.close()
    (tmp_path / "member.json").write_text(json.dumps(person))
    return data


def crash(tmp_path: Path, dsn: str, mode: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SENTRY_DSN": dsn,
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(CRASHER), str(tmp_path / "data"), str(tmp_path / "member.json"), mode],
                          env=env, capture_output=True, text=True, timeout=120)


def events(received) -> list[dict]:
    """The event items of the received envelopes (header line, then item header/payload pairs)."""
    found = []
    for _, body in received:
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2]):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def personal_forms(person: dict) -> list[str]:
    """Each piece of personal data, and the parts someone could recognise it by."""
    forms = set()
    for value in person.values():
        forms |= {value, value.lower(), json.dumps(value)[1:-1]}
    forms |= {person["email"].split("@")[0], person["name"].split()[1], person["access_token"].split(".")[1],
              person["access_token"].split(".")[2], person["user_id"].split("-")[-1],
              person["affirmation"].split(" every")[0]}
    return sorted(forms)


def test_a_crash_sends_its_reports_without_any_of_the_members_personal_data(tmp_path, ingestion):
    dsn, received = ingestion
    person = member()
    prepared_store(tmp_path, person, on=True)
    result = crash(tmp_path, dsn, "crash")
    assert "reporting: True" in result.stdout, result.stderr
    assert result.returncode != 0 and "ValueError: crash while reading" in result.stderr  # a real crash
    # The crash's own output holds the personal data: the reports must not.
    assert person["email"] in result.stderr

    assert received, "no envelope arrived"
    assert all(path == "/api/1/envelope/" for path, _ in received)
    found = events(received)
    kinds = {(e["exception"]["values"][-1]["type"], e["exception"]["values"][-1]["mechanism"]["type"]) for e in found}
    assert ("ValueError", "excepthook") in kinds  # the main thread's crash
    assert ("RuntimeError", "threading") in kinds  # a thread's
    assert any(t == "KeyError" for t, _ in kinds)  # an error logged with its exception (Flet's handlers)
    assert any(t == "LookupError" for t, _ in kinds)  # a failure on the asyncio loop

    raw = b"\n".join(body for _, body in received)
    for form in personal_forms(person):
        assert form.encode() not in raw, f"{form!r} was sent"
    # What makes a report useful is there: where it happened, and this install's random id.
    crashed = next(e for e in found if e["exception"]["values"][-1]["type"] == "ValueError")
    frames = crashed["exception"]["values"][-1]["stacktrace"]["frames"]
    assert frames[-1]["function"] == "main" and frames[-1]["filename"].endswith("error_report_crash.py")
    assert "vars" not in frames[-1] and "[personal]" in crashed["exception"]["values"][-1]["value"]
    store = open_store(tmp_path / "data" / "chris.sqlite3")
    install = reporting.install_id(store)
    store.close()
    assert len(install) == 32 and all(e["user"] == {"id": install} for e in found)
    assert all(set(c) <= {"type", "category", "level", "timestamp"} for e in found for c in e["breadcrumbs"]["values"])
    assert any(c.get("category") == "chris_app.sync.engine" for e in found for c in e["breadcrumbs"]["values"])
    assert all("server_name" not in e and "request" not in e and "extra" not in e for e in found)


def test_switched_off_a_crash_sends_nothing(tmp_path, ingestion):
    dsn, received = ingestion
    prepared_store(tmp_path, member(), on=False)
    result = crash(tmp_path, dsn, "crash")
    assert "reporting: False" in result.stdout, result.stderr
    assert "ValueError: crash while reading" in result.stderr
    assert received == []  # the process has ended: anything it would send was sent


def test_turning_reports_off_while_running_stops_them_at_once(tmp_path, ingestion):
    dsn, received = ingestion
    prepared_store(tmp_path, member(), on=True)
    result = crash(tmp_path, dsn, "toggle")
    assert result.stdout.split() == ["reporting:", "True", "reporting:", "False"], result.stderr
    values = [e["exception"]["values"][-1]["value"] for e in events(received)]
    assert len(values) == 1 and values[0].startswith("while-on: could not save")


def test_without_a_dsn_nothing_starts_even_with_the_switch_on(tmp_path):
    store = open_store(tmp_path / "chris.sqlite3")
    reporting.set_enabled(store, NOW, True)
    assert reporting.apply(store, dsn="") is False and not reporting.reporting_now()
    store.close()


def test_the_dsn_comes_from_the_environment_else_the_config_file(tmp_path):
    user_file, shipped = tmp_path / "supabase.json", tmp_path / "shipped.json"
    assert load_sentry_dsn(env={}, path=user_file, bundled=shipped) is None
    shipped.write_text(json.dumps({"url": "https://x.supabase.co", "sentry_dsn": "https://k@o1.ingest.sentry.io/2"}))
    assert load_sentry_dsn(env={}, path=user_file, bundled=shipped) == "https://k@o1.ingest.sentry.io/2"
    user_file.write_text(json.dumps({"sentry_dsn": "https://u@o1.ingest.sentry.io/3"}))
    assert load_sentry_dsn(env={}, path=user_file, bundled=shipped) == "https://u@o1.ingest.sentry.io/3"
    assert load_sentry_dsn(env={"SENTRY_DSN": "http://e@127.0.0.1:9/1"}, path=user_file) == "http://e@127.0.0.1:9/1"
    user_file.write_text(json.dumps({"sentry_dsn": "not a dsn"}))
    assert load_sentry_dsn(env={}, path=user_file, bundled=tmp_path / "none.json") is None


def test_an_event_is_rebuilt_from_the_allow_list_and_its_text_scrubbed():
    event = {
        "event_id": "e1", "level": "error", "platform": "python", "server_name": "chris-laptop",
        "user": {"id": "5f0e6c1e-8d3b-4c56-9a57-2a7c3f1b9e01", "email": "a@b.co", "ip_address": "1.2.3.4"},
        "request": {"url": "http://x/?code=abc", "headers": {"Authorization": "Bearer t"}, "data": "secret"},
        "extra": {"sys.argv": ["chris-app", "--data-dir", "/home/rowena/data"]},
        "tags": {"member": "rowena"},
        "contexts": {"os": {"name": "Linux", "version": "6.1", "kernel_version": "host rowena-pc"},
                     "runtime": {"name": "CPython", "version": "3.11"}},
        "logentry": {"message": "sync failed for %s", "params": ["rowena@b.co"], "formatted": "sync failed for rowena@b.co"},
        "exception": {"values": [{"type": "ValueError", "module": None, "value": "bad 'Rowena' rowena@b.co",
                                  "mechanism": {"type": "excepthook", "handled": False, "data": {"x": "rowena"}},
                                  "stacktrace": {"frames": [{
                                      "filename": "/home/rowena/app/src/chris_app/views/x.py", "function": "save",
                                      "abs_path": "/home/rowena/app/src/chris_app/views/x.py", "lineno": 3,
                                      "context_line": "    raise ValueError(name)", "vars": {"name": "'Rowena'"},
                                      "package": "/home/rowena/app"}]}}]},
        "breadcrumbs": {"values": [{"category": "httplib", "message": "GET /?email=rowena@b.co",
                                    "data": {"url": "x"}, "level": "info", "timestamp": "t", "type": "http"}]},
    }
    cleaned = reporting.clean_event(event, ["Rowena"], "0" * 32)
    text = json.dumps(cleaned)
    assert "rowena" not in text.lower() and "1.2.3.4" not in text and "code=abc" not in text
    assert cleaned["user"] == {"id": "0" * 32}
    assert cleaned["exception"]["values"][0]["value"] == "bad '…' [email]"
    assert cleaned["exception"]["values"][0]["stacktrace"]["frames"][0] == {
        "lineno": 3, "function": "save", "filename": "chris_app/views/x.py", "abs_path": "chris_app/views/x.py",
        "context_line": "    raise ValueError(name)"}
    assert cleaned["logentry"] == {"message": "sync failed for %s"}
    assert cleaned["breadcrumbs"]["values"] == [{"type": "http", "category": "httplib", "level": "info", "timestamp": "t"}]
    assert cleaned["contexts"] == {"os": {"name": "Linux", "version": "6.1"}, "runtime": {"name": "CPython", "version": "3.11"}}
