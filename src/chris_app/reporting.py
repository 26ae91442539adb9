"""Error reports (issue 18): crashes and unexpected errors sent to Sentry, only when the member
turned "Send error reports" on in Settings (off by default; kept on this device only, migration
0012) and a DSN is configured (chris_app.sync.config.load_sentry_dsn).

What is sent: the error's type, where in the code it happened (file names relative to the app or
library, function names, line numbers and those lines of code), the app's version, the
operating system and Python version, and a random id of this install. What never is: affirmation
text, actions, wins, captions, names, emails, tokens, audio, the member's account id, local
variables, request bodies, breadcrumb messages.

Two layers keep it so. Sentry is set up to collect little in the first place (no default
personal data, no local variables, no request bodies, no web-framework integrations, no host
name). Then `clean_event` rebuilds every event from an allow-list of fields, and the free text
that remains (the error's message, a log message's template, lines of code) goes through
`scrub`: the member's own strings from this device's store and account are replaced, and so is
anything shaped like an email, a token, an id, a quoted value or a home folder."""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import PurePath
from typing import Any

from chris_app import __version__
from chris_app.store import Store

log = logging.getLogger(__name__)

SWITCH_LABEL = "Send error reports"
SWITCH_MEANING = ("When the app crashes or hits an unexpected error, send where in the code it happened, "
                  "the app version and the system. Never your affirmations, actions, name, email or recordings.")

_lock = threading.Lock()
_current: dict[str, Any] = {"store": None, "account": None, "dsn": None, "on": False}

# -- the switch (device-only) ------------------------------------------------------------------


def enabled(store: Store) -> bool:
    rows = store.query("select enabled from error_reports where id = 1")
    return bool(rows and rows[0]["enabled"])


def install_id(store: Store) -> str:
    rows = store.query("select install_id from error_reports where id = 1")
    return rows[0]["install_id"] if rows else ""


def set_enabled(store: Store, now: datetime, on: bool) -> bool:
    """The member's choice, on this device only. Apply it with `apply`."""
    from chris_app.services._rows import stamp

    with store.transaction() as conn:
        conn.execute("update error_reports set enabled = ?, updated_at = ? where id = 1", (int(on), stamp(now)))
    return on


def forget_install(conn) -> None:
    """A wiped device starts over: reports off, a new install id (inside the caller's transaction)."""
    conn.execute("update error_reports set enabled = 0, install_id = lower(hex(randomblob(16)))")


# -- starting and stopping the client ---------------------------------------------------------


def configured_dsn() -> str | None:
    """Where reports would go (the environment's SENTRY_DSN, else the app's config file), or
    None: without one, Settings offers no switch."""
    from chris_app.sync.config import load_sentry_dsn

    return load_sentry_dsn()


def apply(store: Store, account: Any = None, dsn: str | None = None) -> bool:
    """Start reporting if the switch is on and a DSN is configured, else stop it; at start and
    whenever the switch changes. Returns whether reports are sent now. `account` (optional)
    lends its email and tokens to the scrubber."""
    if dsn is None:
        dsn = configured_dsn()
    on = bool(dsn) and enabled(store)
    with _lock:
        _current.update(store=store, account=account if account is not None else _current["account"])
        if on == _current["on"] and (not on or dsn == _current["dsn"]):
            return on  # (off and staying off: sentry_sdk is not even imported)
        import sentry_sdk

        client = sentry_sdk.get_client()
        if client.is_active():
            client.close(timeout=2.0)  # sends what is queued, then stops
            sentry_sdk.get_global_scope().set_client(None)
        _current.update(on=False, dsn=None)
        if on:
            try:
                sentry_sdk.init(**options(dsn))
            except Exception:  # a bad DSN must not stop the app
                log.warning("error reports could not start (check the Sentry DSN)")
                return False
            _current.update(on=True, dsn=dsn)
        return on


def options(dsn: str) -> dict:
    """sentry_sdk.init's arguments: collect as little as possible in the first place."""
    import asyncio

    from sentry_sdk.integrations.atexit import AtexitIntegration
    from sentry_sdk.integrations.dedupe import DedupeIntegration
    from sentry_sdk.integrations.excepthook import ExcepthookIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.threading import ThreadingIntegration

    integrations = [
        ExcepthookIntegration(always_run=True),  # uncaught in the main thread
        ThreadingIntegration(),  # uncaught in the app's threads
        LoggingIntegration(level=logging.WARNING, event_level=logging.ERROR),  # Flet's "unhandled error in handler"
        AtexitIntegration(callback=lambda pending, timeout: None),  # flush quietly at exit
        DedupeIntegration(),
    ]
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass  # no loop here: its unretrieved task errors still come through asyncio's error log
    else:
        from sentry_sdk.integrations.asyncio import AsyncioIntegration

        integrations.append(AsyncioIntegration())
    return {
        "dsn": dsn,
        "release": f"chris-app@{__version__}",
        "environment": "production",
        "server_name": "",  # the host name often carries the owner's name
        "send_default_pii": False,
        "include_local_variables": False,
        "max_request_body_size": "never",
        "default_integrations": False,  # no web-framework integration reads requests, cookies, headers
        "auto_enabling_integrations": False,
        "integrations": integrations,
        "auto_session_tracking": False,
        "send_client_reports": False,
        "traces_sample_rate": None,
        "max_breadcrumbs": 30,
        "before_send": before_send,
        "before_breadcrumb": before_breadcrumb,
    }


def close() -> None:
    """Stop reporting (the app is ending, or a test is done)."""
    import sentry_sdk

    with _lock:
        client = sentry_sdk.get_client()
        if client.is_active():
            client.close(timeout=2.0)
            sentry_sdk.get_global_scope().set_client(None)
        _current.update(on=False, dsn=None)


# -- what leaves the device -------------------------------------------------------------------


def before_send(event: dict, hint: dict) -> dict | None:
    store, account = _current["store"], _current["account"]
    try:
        personal = personal_strings(store, account)
        install = install_id(store) if store is not None else ""
    except Exception:
        return None  # without the member's strings nothing can be checked: send nothing
    return clean_event(event, personal, install)


def before_breadcrumb(crumb: dict, hint: dict) -> dict | None:
    """Only that something happened, of which kind and when: never the message or its data."""
    return {k: crumb[k] for k in ("type", "category", "level", "timestamp") if k in crumb}


def personal_strings(store: Store | None, account: Any = None) -> list[str]:
    """Every string of the member's own that an error message could repeat: from this device's
    store (name, affirmations and each of their lines, actions, wins, captions) and from the
    account (email, member id, tokens)."""
    found: set[str] = set()
    if store is not None:
        queries = ("select display_name as t from profile", "select content as t from affirmations",
                   "select violent_action as t from daily_sessions", "select biggest_win as t from daily_sessions",
                   "select action_tile_caption as t from daily_sessions", "select caption as t from vision_board_tiles")
        for sql in queries:
            for row in store.query(sql):
                text = row["t"]
                if text:
                    found.add(text.strip())
                    found.update(line.strip() for line in text.splitlines())
    if account is not None:
        session = getattr(getattr(account, "auth", None), "session", None)
        for value in (getattr(account, "email", None), getattr(session, "user_id", None),
                      getattr(session, "access_token", None), getattr(session, "refresh_token", None)):
            if value:
                found.add(str(value))
    return sorted((s for s in found if len(s) >= 3), key=len, reverse=True)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
_BEARER = re.compile(r"(?i)\b(bearer|token|apikey|password|secret)([\s=:]+)(?!\[)\S+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_LONG = re.compile(r"[A-Za-z0-9_\-.~+/=%]{20,}")
MAX_TEXT = 500


def scrub(text: str, personal: Iterable[str], code: bool = False) -> str:
    """`text` without the member's strings and without anything shaped like personal data.
    `code`: a line of the app's source, where quoted and long words are code, not data."""
    if not isinstance(text, str):
        return ""
    text = _JWT.sub("[token]", text)
    text = _EMAIL.sub("[email]", text)
    text = _UUID.sub("[id]", text)
    for value in personal:
        text = re.sub(re.escape(value), "[personal]", text, flags=re.IGNORECASE)
    home = os.path.expanduser("~")
    if len(home) > 1:
        text = text.replace(home, "~")
    if not code:
        text = _QUOTED.sub("'…'", text)
        text = _LONG.sub("[token]", text)
        text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}[token]", text)
    return text[:MAX_TEXT]


def relative_path(path: str) -> str:
    """A frame's file relative to the package it belongs to: never the folders above it,
    which name the computer's user."""
    parts = PurePath(str(path).replace("\\", "/")).parts
    for anchor in ("site-packages", "dist-packages", "src"):
        if anchor in parts:
            return "/".join(parts[len(parts) - parts[::-1].index(anchor):])
    if "chris_app" in parts:
        return "/".join(parts[parts.index("chris_app"):])
    return parts[-1] if parts else ""


def clean_frame(frame: dict, personal: list[str]) -> dict:
    out = {k: frame[k] for k in ("module", "lineno", "colno", "in_app") if k in frame}
    if "function" in frame:
        out["function"] = scrub(frame["function"], personal, code=True)
    for key in ("filename", "abs_path"):
        if frame.get(key):
            out[key] = relative_path(frame[key])
    if "context_line" in frame:
        out["context_line"] = scrub(frame["context_line"], personal, code=True)
    for key in ("pre_context", "post_context"):
        if key in frame:
            out[key] = [scrub(line, personal, code=True) for line in frame[key]]
    return out


def clean_stacktrace(stack: dict | None, personal: list[str]) -> dict | None:
    if not isinstance(stack, dict):
        return None
    return {"frames": [clean_frame(f, personal) for f in stack.get("frames") or [] if isinstance(f, dict)]}


def clean_event(event: dict, personal: list[str], install: str) -> dict:
    """The event rebuilt from an allow-list: nothing Sentry (or an integration) added that is
    not named here leaves the device."""
    out: dict[str, Any] = {k: event[k] for k in ("event_id", "timestamp", "platform", "level", "logger", "release",
                                                 "environment", "sdk", "fingerprint") if k in event}
    out["user"] = {"id": install} if install else {}
    contexts = event.get("contexts") or {}
    out["contexts"] = {name: {k: v for k, v in contexts[name].items() if k in ("name", "version", "build", "type")}
                       for name in ("os", "runtime") if isinstance(contexts.get(name), dict)}
    values = []
    for exc in (event.get("exception") or {}).get("values") or []:
        value = {k: exc[k] for k in ("type", "module") if k in exc}
        value["value"] = scrub(exc.get("value") or "", personal)
        mechanism = exc.get("mechanism")
        if isinstance(mechanism, dict):
            value["mechanism"] = {k: mechanism[k] for k in ("type", "handled") if k in mechanism}
        if (stack := clean_stacktrace(exc.get("stacktrace"), personal)) is not None:
            value["stacktrace"] = stack
        values.append(value)
    if values:
        out["exception"] = {"values": values}
    threads = []
    for thread in (event.get("threads") or {}).get("values") or []:
        kept = {k: thread[k] for k in ("id", "current", "crashed", "main") if k in thread}
        if (stack := clean_stacktrace(thread.get("stacktrace"), personal)) is not None:
            kept["stacktrace"] = stack
        threads.append(kept)
    if threads:
        out["threads"] = {"values": threads}
    entry = event.get("logentry")
    if isinstance(entry, dict) and entry.get("message"):
        out["logentry"] = {"message": scrub(entry["message"], personal)}  # the template; never its values
    if isinstance(event.get("message"), str):
        out["message"] = scrub(event["message"], personal)
    crumbs = (event.get("breadcrumbs") or {}).get("values") or []
    out["breadcrumbs"] = {"values": [before_breadcrumb(c, {}) for c in crumbs if isinstance(c, dict)]}
    return out


def reporting_now() -> bool:
    return bool(_current["on"])

