"""The Supabase HTTP layer through httpx.MockTransport: exact endpoints, headers and bodies,
and every HTTP outcome mapped to what the member is told. Also where the project is configured."""

from __future__ import annotations

import json

import httpx
import pytest

from chris_app.sync.config import BackendConfig, load_config
from chris_app.sync.engine import SyncState
from chris_app.sync.errors import AuthExpired, CallRejected, Offline, RateLimited, ServerError
from chris_app.sync.transport import SupabaseTransport
from chris_app.services import day
from sync_helpers import MORNING, engine_for
from fake_server import FakeServer

URL = "https://abc.supabase.co"
ANON = "anon-key-123"
CLIENT = "0b1e2f70-6d0a-4c55-9a3e-5d7f4a1b2c3d"


def transport_with(handler, token="access-1"):
    return SupabaseTransport(URL + "/", ANON, lambda: token, client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_a_push_posts_the_changes_to_the_sync_push_rpc_with_the_project_key_and_the_members_token():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"op_id": 7, "applied": 1, "unchanged": 0, "rejected": [], "ids": {},
                                         "versions": {}, "replayed": False})

    result = transport_with(handler).push({"daily_sessions": [{"id": "x", "date": "2026-06-10"}]}, CLIENT, 7)

    [request] = seen
    assert request.method == "POST"
    assert str(request.url) == "https://abc.supabase.co/rest/v1/rpc/sync_push"
    assert request.headers["apikey"] == ANON
    assert request.headers["authorization"] == "Bearer access-1"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"changes": {"daily_sessions": [{"id": "x", "date": "2026-06-10"}]},
                                           "client_id": CLIENT, "op_id": 7}
    assert result["op_id"] == 7


def test_a_pull_posts_the_cursor_and_the_device_to_the_sync_pull_rpc():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"cursor": 812, "changes": {}})

    assert transport_with(handler).pull(790, CLIENT) == {"cursor": 812, "changes": {}}
    assert str(seen[0].url) == "https://abc.supabase.co/rest/v1/rpc/sync_pull"
    assert json.loads(seen[0].content) == {"since": 790, "client_id": CLIENT}


def test_the_token_is_asked_for_on_every_call_so_a_refreshed_session_is_used_at_once():
    tokens, seen = iter(["old", "new"]), []
    t = SupabaseTransport(URL, ANON, lambda: next(tokens), client=httpx.Client(transport=httpx.MockTransport(
        lambda r: seen.append(r.headers["authorization"]) or httpx.Response(200, json={"cursor": 1, "changes": {}}))))
    t.pull(0, CLIENT), t.pull(1, CLIENT)
    assert seen == ["Bearer old", "Bearer new"]


@pytest.mark.parametrize(("response", "error"), [
    (httpx.Response(401, json={"code": "PGRST301", "message": "JWT expired"}), AuthExpired),
    (httpx.Response(403, json={"code": "42501", "message": "permission denied for function sync_push"}), AuthExpired),
    (httpx.Response(400, json={"code": "22023", "message": "sync_push needs changes (an object)"}), CallRejected),
    (httpx.Response(413, json={"code": "54000", "message": "at most 1000 rows per push"}), CallRejected),
    (httpx.Response(404, json={"code": "PGRST202", "message": "Could not find the function"}), CallRejected),
    (httpx.Response(500, json={"code": "XX000", "message": "internal error"}), ServerError),
    (httpx.Response(503, text="upstream connect error"), ServerError),
    (httpx.Response(429, text="slow down"), RateLimited),  # a ServerError: retried, after Retry-After
    (httpx.Response(200, text="<html>captive portal</html>"), ServerError),
])
def test_http_outcomes_become_sync_errors_a_member_can_read(response, error):
    with pytest.raises(error) as caught:
        transport_with(lambda request: response).push({}, CLIENT, 1)
    assert caught.value.message.endswith(".")


def test_a_connection_that_fails_means_offline():
    def handler(request):
        raise httpx.ConnectError("Name or service not known", request=request)

    with pytest.raises(Offline) as caught:
        transport_with(handler).pull(0, CLIENT)
    assert caught.value.retryable


def test_a_call_the_server_refuses_names_its_reason():
    with pytest.raises(CallRejected) as caught:
        transport_with(lambda r: httpx.Response(400, json={"code": "22023", "message": "bad changes"})).push({}, CLIENT, 1)
    assert caught.value.code == "22023" and "bad changes" in caught.value.message


def test_the_engine_syncs_through_http_to_a_server_model(device):
    """The whole chain: engine → SupabaseTransport → HTTP → in-memory server."""
    server = FakeServer("5f0c6a58-3a9e-4c2b-9d7e-0f6c1d2e3a4b")

    def handler(request):
        body = json.loads(request.content)
        if request.url.path.endswith("/sync_push"):
            return httpx.Response(200, json=server.push(body["changes"], body["client_id"], body["op_id"]))
        return httpx.Response(200, json=server.pull(body["since"], body["client_id"]))

    day.set_action(device, MORNING, "Call the bank")
    status = engine_for(device, transport_with(handler)).run()
    assert status.state is SyncState.SYNCED
    assert server.sessions["2026-06-10"]["violent_action"] == "Call the bank"


def test_the_engine_reports_offline_when_the_network_is_down(device):
    def handler(request):
        raise httpx.ConnectTimeout("timed out", request=request)

    day.set_action(device, MORNING, "Call the bank")
    status = engine_for(device, transport_with(handler), max_attempts=3).run()
    assert status.state is SyncState.OFFLINE and status.pending > 0


# -- configuration ---------------------------------------------------------------------------
def test_the_environment_configures_the_backend(tmp_path):
    env = {"SUPABASE_URL": "https://abc.supabase.co/", "SUPABASE_ANON_KEY": "k"}
    assert load_config(env, tmp_path / "none.json") == BackendConfig("https://abc.supabase.co", "k")


def test_the_config_file_configures_the_backend_when_the_environment_does_not(tmp_path):
    path = tmp_path / "supabase.json"
    path.write_text(json.dumps({"url": "https://xyz.supabase.co", "anon_key": "anon"}))
    assert load_config({}, path) == BackendConfig("https://xyz.supabase.co", "anon")


@pytest.mark.parametrize("content", [None, "not json", "[]", '{"url": "https://x.co"}', '{"url": "x", "anon_key": "k"}'])
def test_without_a_complete_configuration_the_app_stays_in_guest_mode(tmp_path, content):
    path = tmp_path / "supabase.json"
    if content is not None:
        path.write_text(content)
    assert load_config({"SUPABASE_URL": "https://only-url.co"}, path) is None
