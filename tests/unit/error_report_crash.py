"""Run by tests/unit/test_error_reports.py in a process of its own (a real crash ends it):
start error reporting on a prepared store and fail in every way the app can, with the test
member's personal data in the messages, the local variables and the breadcrumbs.

argv: the data directory, the file holding the member's personal data (JSON), the mode
("crash": fail everywhere; "toggle": one failure with reports on, one after turning them off)."""

import asyncio
import json
import logging
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

from chris_app import reporting
from chris_app.store import open_store

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("chris_app.sync.engine")


class Session:
    def __init__(self, member):
        self.access_token = member["access_token"]
        self.refresh_token = member["refresh_token"]
        self.user_id = member["user_id"]


class FakeAccount:
    def __init__(self, member):
        self.email = member["email"]
        self.auth = type("Auth", (), {"session": Session(member)})()


def fail_in_a_thread(member, marker):
    def work():
        email, token, affirmation = member["email"], member["access_token"], member["affirmation"]  # locals
        raise RuntimeError(f"{marker}: could not save {affirmation!r} for {email} ({member['name']}) with {token}")

    thread = threading.Thread(target=work, name="sync")
    thread.start()
    thread.join()


async def fail_on_the_loop(member):
    """A callback on the app's asyncio loop fails (as a Flet task's error surfaces): asyncio's
    own error handler logs it."""
    def callback():
        raise LookupError(f"loop: no day for {member['email']} {member['affirmation']}")

    asyncio.get_running_loop().call_soon(callback)
    await asyncio.sleep(0.05)


def main():
    data_dir, member_file, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    member = json.loads(member_file.read_text())
    store = open_store(data_dir / "chris.sqlite3")
    account = FakeAccount(member)
    on = reporting.apply(store, account)
    print("reporting:", on, flush=True)
    if mode == "toggle":
        fail_in_a_thread(member, "while-on")
        reporting.set_enabled(store, datetime.now(timezone.utc), False)
        print("reporting:", reporting.apply(store, account), flush=True)
        fail_in_a_thread(member, "while-off")
        return
    log.info("signing in %s as %s", member["email"], member["name"])  # breadcrumbs
    log.warning("token %s refreshed for %s", member["access_token"], member["user_id"])
    try:
        {}[member["affirmation"]]
    except KeyError:  # as Flet logs an exception in an event handler
        log.error("Unhandled error in 'on_click' handler for %s", member["email"], exc_info=True)
    fail_in_a_thread(member, "thread")
    asyncio.run(fail_on_the_loop(member))
    affirmation, email = member["affirmation"], member["email"]  # locals of the crashing frame
    raise ValueError(f"crash while reading {affirmation} for {member['name']} <{email}> {member['access_token']}")


if __name__ == "__main__":
    main()
