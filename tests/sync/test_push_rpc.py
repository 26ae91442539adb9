"""The phone's push registration calls, at the HTTP boundary and against the real functions.

1. `PushDevicesApi` through httpx.MockTransport: the exact PostgREST requests (URL, method,
   headers with the member's token, JSON body) and every HTTP outcome mapped to the sync
   errors (`sync.transport.parse_response`), void answers (200 `null`, 204) taken as done.
2. The same client against the REAL `public.register_push_device` / `unregister_push_device`
   of the migrations on a throwaway PostgreSQL 15 cluster, behind a PostgREST stand-in that
   does what PostgREST documents for `POST /rpc/<fn>`: the JSON keys are the named arguments,
   the call runs as role `authenticated` with the token's claims, a void result answers 200
   `null`, an error answers its SQLSTATE's status with `{code, message, details, hint}`.
   Everything runs in one transaction (a savepoint per call), rolled back at the end."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
from psycopg import sql
import pytest

from chris_app.notifications.push import PushDevicesApi, PushRegistration
from chris_app.sync.errors import AuthExpired, CallRejected, Offline, ServerError
from chris_app.sync.transport import SupabaseTransport

URL = "https://abc.supabase.co"
ANON = "anon-key-123"
SUB = "8e4b2c1a-7d3f-4e5a-b6c9-0a1b2c3d4e5f"


def api_with(handler, token="member-token"):
    return PushDevicesApi(SupabaseTransport(URL + "/", ANON, lambda: token,
                                            client=httpx.Client(transport=httpx.MockTransport(handler))))


# --- 1. the requests and their outcomes --------------------------------------------------

def test_register_posts_the_subscription_id_and_platform_with_the_members_token():
    seen = []
    api_with(lambda r: seen.append(r) or httpx.Response(200, json=None)).register(SUB, "ios")
    [request] = seen
    assert request.method == "POST"
    assert str(request.url) == "https://abc.supabase.co/rest/v1/rpc/register_push_device"
    assert request.headers["apikey"] == ANON
    assert request.headers["authorization"] == "Bearer member-token"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"p_subscription_id": SUB, "p_platform": "ios"}


def test_unregister_posts_the_subscription_id():
    seen = []
    api_with(lambda r: seen.append(r) or httpx.Response(204)).unregister(SUB)  # 204: done too
    assert str(seen[0].url) == "https://abc.supabase.co/rest/v1/rpc/unregister_push_device"
    assert json.loads(seen[0].content) == {"p_subscription_id": SUB}
    assert seen[0].headers["authorization"] == "Bearer member-token"


@pytest.mark.parametrize(("response", "error"), [
    (httpx.Response(400, json={"code": "22023", "message": "a phone registered for push is 'android' or 'ios'"}),
     CallRejected),
    (httpx.Response(404, json={"code": "PGRST202", "message": "Could not find the function"}), CallRejected),
    (httpx.Response(401, json={"code": "PGRST301", "message": "JWT expired"}), AuthExpired),
    (httpx.Response(403, json={"code": "42501", "message": "sign in to register this phone for reminders"}),
     AuthExpired),
    (httpx.Response(500, json={"code": "XX000", "message": "internal error"}), ServerError),
    (httpx.Response(503, text="upstream connect error"), ServerError),
    (httpx.Response(429, text="slow down"), ServerError),
])
def test_http_outcomes_become_sync_errors(response, error):
    with pytest.raises(error) as raised:
        api_with(lambda r: response).register(SUB, "android")
    if response.status_code == 400:
        assert raised.value.code == "22023"
        assert "a phone registered for push is 'android' or 'ios'" in raised.value.message


@pytest.mark.parametrize("failure", [httpx.ConnectError("no route"), httpx.ReadTimeout("slow")])
def test_no_connection_is_offline(failure):
    def handler(request):
        raise failure

    with pytest.raises(Offline):
        api_with(handler).unregister(SUB)


# --- 2. against the real functions ----------------------------------------------------------

@pytest.fixture(scope="module")
def pg():
    from tests.db.pgcluster import project_cluster

    with project_cluster("chris-pg-push-") as cluster:
        yield cluster


class PostgREST:
    """POST /rest/v1/rpc/<fn> on one connection, one savepoint per call; the bearer token
    names the member (`tokens`: token → auth.users id)."""

    STATUS = {"22023": 400, "42501": 403, "42883": 404, "P0001": 400}

    def __init__(self, conn: psycopg.Connection, tokens: dict[str, str]) -> None:
        self.conn, self.tokens = conn, tokens

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path.startswith("/rest/v1/rpc/")
        assert request.headers["apikey"] == ANON
        function = request.url.path.rsplit("/", 1)[1]
        uid = self.tokens.get(request.headers["authorization"].removeprefix("Bearer "))
        if uid is None:
            return httpx.Response(401, json={"code": "PGRST301", "message": "JWT invalid"})
        args = json.loads(request.content)
        named = ", ".join(f"{sql.Identifier(k).as_string(self.conn)} := %s" for k in args)
        with self.conn.cursor() as cur:
            cur.execute("savepoint rpc")
            try:
                cur.execute("select set_config('role', 'authenticated', true),"
                            " set_config('request.jwt.claims', %s, true)",
                            (json.dumps({"sub": uid, "role": "authenticated"}),))
                cur.execute(f"select public.{function}({named})", list(args.values()))
                result = cur.fetchone()[0]
            except psycopg.Error as exc:
                cur.execute("rollback to savepoint rpc")
                cur.execute("reset role")
                diag = exc.diag
                return httpx.Response(self.STATUS.get(diag.sqlstate or "", 400), json={
                    "code": diag.sqlstate, "message": diag.message_primary, "details": diag.message_detail,
                    "hint": diag.message_hint})
            cur.execute("release savepoint rpc")
            cur.execute("reset role")
        return httpx.Response(200, json=result if result != "" else None)  # void reads as ''


@pytest.fixture
def backend(pg):
    """(api_for(token), conn, members): two members in one transaction, rolled back."""
    with pg.connect() as conn:
        try:
            members = {}
            for token in ("token-a", "token-b"):
                members[token] = str(conn.execute("select tests.create_supabase_user(%s, null, %s::jsonb)", (
                    f"push-{uuid.uuid4()}", json.dumps({"timezone": "Europe/Berlin"}))).fetchone()[0])
            rest = PostgREST(conn, members)

            def api_for(token):
                return api_with(rest, token)

            yield api_for, conn, members
        finally:
            conn.rollback()


def devices(conn, uid):
    return conn.execute("select subscription_id, platform from public.push_devices where user_id = %s"
                        " order by subscription_id", (uid,)).fetchall()


@pytest.mark.db
def test_the_client_registers_and_unregisters_through_the_real_functions(backend):
    api_for, conn, members = backend
    a = api_for("token-a")
    a.register(SUB, "android")
    a.register(SUB, "android")  # again (the weekly refresh): still one row
    assert devices(conn, members["token-a"]) == [(SUB, "android")]
    a.unregister(SUB)
    assert devices(conn, members["token-a"]) == []
    a.unregister(SUB)  # nothing left: a no-op, not an error


@pytest.mark.db
def test_a_phone_changing_hands_moves_to_the_new_member_and_the_old_cannot_remove_it(backend):
    api_for, conn, members = backend
    api_for("token-a").register(SUB, "ios")
    api_for("token-b").register(SUB, "ios")
    assert devices(conn, members["token-a"]) == [] and devices(conn, members["token-b"]) == [(SUB, "ios")]
    api_for("token-a").unregister(SUB)  # the previous owner signs out late: B keeps it
    assert devices(conn, members["token-b"]) == [(SUB, "ios")]


@pytest.mark.db
@pytest.mark.parametrize(("subscription_id", "platform", "says"), [
    ("has space", "android", "a push subscription id is 1 to 128 letters, digits or hyphens"),
    ("x" * 129, "android", "a push subscription id is 1 to 128 letters, digits or hyphens"),
    (SUB, "windows", "a phone registered for push is 'android' or 'ios'"),
])
def test_what_the_server_refuses_comes_back_as_a_readable_rejection(backend, subscription_id, platform, says):
    api_for, conn, members = backend
    with pytest.raises(CallRejected) as raised:
        api_for("token-a").register(subscription_id, platform)
    assert raised.value.code == "22023" and says in raised.value.message
    assert devices(conn, members["token-a"]) == []


@pytest.mark.db
def test_the_phones_registration_end_to_end_against_the_real_functions(backend, store):
    """PushRegistration with a OneSignal double and the real functions behind the stand-in:
    sign-in registers, push off unregisters, on again registers."""
    from chris_app.services.profile import update_settings
    from tests.unit.test_push_registration import NOW, FakeOneSignal, FakePage

    api_for, conn, members = backend
    uid = members["token-a"]

    class Member:  # what PushRegistration asks of the Account
        def member_id(self):
            return uid

    r = PushRegistration(FakePage(), store, Member(), "android", onesignal=FakeOneSignal(),
                         api=lambda timeout: api_for("token-a"))

    def run(coro):
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coro).result()

    run(r.sync())
    assert devices(conn, uid) == [(SUB, "android")]
    update_settings(store, NOW, push_notifications=False)
    run(r.sync())
    assert devices(conn, uid) == []
    update_settings(store, NOW, push_notifications=True)
    run(r.sync())
    assert devices(conn, uid) == [(SUB, "android")]
