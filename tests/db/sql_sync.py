"""The real sync RPCs as the app reaches them, for the database tests: `SqlTransport` is the
sync engine's Transport made of the member's PostgREST requests (role `authenticated` and the
JWT claims, one committed transaction per call), and `signed_up` makes a member the way the
app's sign-up does (the device's time zone in the metadata) and removes them afterwards.
(Not a conftest: test modules import from here.)"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


class Crash(BaseException):
    """The app dying: raised by SqlTransport after the server committed a push."""


class SqlTransport:
    """`crash_after_push` commits the next push and then dies before the answer arrives."""

    def __init__(self, pg, uid) -> None:
        self.conn = pg.connect(options="-c statement_timeout=20000")
        self.conn.execute("select set_config('role', 'authenticated', false),"
                          " set_config('request.jwt.claims', %s, false)",
                          (json.dumps({"sub": str(uid), "role": "authenticated"}),))
        self.conn.commit()
        self.crash_after_push = False
        self.results: list[dict] = []

    def push(self, changes, client_id, op_id):
        result = self.conn.execute("select public.sync_push(%s::jsonb, %s::uuid, %s)",
                                   (json.dumps(changes), client_id, op_id)).fetchone()[0]
        self.conn.commit()
        self.results.append(result)
        if self.crash_after_push:
            self.crash_after_push = False
            raise Crash()
        return result

    def pull(self, since, client_id):
        result = self.conn.execute("select public.sync_pull(%s, %s::uuid)", (since, client_id)).fetchone()[0]
        self.conn.commit()
        return result

    def close(self):
        self.conn.close()


def sign_up(admin, prefix: str, zone: str | None = "Europe/Berlin") -> str:
    """A new member, as auth.sign_up makes one (the device's time zone in the metadata; None: a
    Google sign-up, which names no zone)."""
    return str(admin.execute("select tests.create_supabase_user(%s, null, %s::jsonb)",
                             (f"{prefix}-{uuid.uuid4()}", json.dumps({"timezone": zone}))).fetchone()[0])


@contextmanager
def signed_up(pg, prefix: str, zone: str | None = "Europe/Berlin") -> Iterator[str]:
    with pg.connect(autocommit=True) as admin:
        uid = sign_up(admin, prefix, zone)
        try:
            yield uid
        finally:
            admin.execute("select public.delete_member(%s)", (uid,))
