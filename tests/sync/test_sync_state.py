"""The `sync_state` table through its one accessor (chris_app.sync.sync_state): what a device
keeps between runs reads back as it was written, including what an earlier app version left."""

from __future__ import annotations

import json

from chris_app.sync import sync_state
from chris_app.sync.engine import SyncState
from chris_app.sync.rejections import Rejection
from fake_server import FakeTransport
from sync_helpers import USER, engine_for, kept


def test_a_new_device_has_no_account_no_cursor_and_counts_its_ops_from_one(device):
    assert kept(device, sync_state.account) is None
    assert kept(device, sync_state.cursor) == 0
    assert kept(device, sync_state.pending_op) is None
    with device.transaction() as conn:
        assert [sync_state.take_op_id(conn) for _ in range(3)] == [1, 2, 3]
        sync_state.set_account(conn, USER)
        sync_state.set_cursor(conn, 42)
    assert kept(device, sync_state.account) == USER
    assert kept(device, sync_state.cursor) == 42
    with device.transaction() as conn:
        assert sync_state.take_op_id(conn) == 4


def test_an_op_left_in_flight_by_the_previous_app_version_is_sent_again_under_its_op_id(device, server):
    # the value as the app before the split wrote it: {"op_id", "batch": Batch.to_json()}
    batch = json.dumps({"changes": {"user_settings": {"theme": "dark", "field_stamps": {
        "theme": "2026-06-10T03:30:00.000000+00:00"}, "client_updated_at": "2026-06-10T03:30:00.000000+00:00"}},
        "sent": [[[99, "settings", "1", "upsert", None], {"theme": "dark"}]]})
    with device.transaction() as conn:
        conn.execute("insert into sync_state (key, value) values ('account', ?), ('next_op_id', '8'),"
                     " ('pending_op', ?)", (USER, json.dumps({"op_id": 7, "batch": batch})))

    op = kept(device, sync_state.pending_op)
    assert op.op_id == 7 and op.batch.changes["user_settings"]["theme"] == "dark"
    assert [(e.seq, e.entity, e.row_id, e.op) for e, _ in op.batch.sent] == [(99, "settings", "1", "upsert")]

    transport = FakeTransport(server)
    status = engine_for(device, transport).run()

    assert transport.calls[0] == ("push", 7)  # the same op id, so a server that saw it replays it
    assert server.settings["theme"] == "dark" and status.state is SyncState.SYNCED
    assert kept(device, sync_state.pending_op) is None


def test_a_live_profile_row_keeps_only_the_server_fields_it_carries(device):
    with device.transaction() as conn:
        sync_state.keep_server_profile(conn, {"subscription_status": "trialing", "trial_ends_at":
                                              "2026-06-17T00:00:00+00:00", "member_number": 47, "display_name": "x"})
        sync_state.keep_server_profile(conn, {"subscription_status": "active"})  # a live update, one column
    assert kept(device, sync_state.server_profile) == sync_state.ServerProfile(
        subscription_status="active", trial_ends_at="2026-06-17T00:00:00+00:00", member_number=47)


def test_rejections_keep_the_newest_fifty_in_order_until_cleared(device):
    def refused(n: int) -> Rejection:
        return Rejection("daily_sessions", f"day-{n}", "23514", "check violated", f"2026-06-10T03:{n % 60:02d}")

    with device.transaction() as conn:
        sync_state.add_rejections(conn, [refused(n) for n in range(30)])
        sync_state.add_rejections(conn, [refused(n) for n in range(30, 60)])
    kept_ones = kept(device, sync_state.rejections)
    assert [r.row_id for r in kept_ones] == [f"day-{n}" for n in range(10, 60)]
    assert kept_ones[-1] == refused(59)  # every field reads back
    with device.transaction() as conn:
        sync_state.clear_rejections(conn)
    assert kept(device, sync_state.rejections) == []


def test_an_unreadable_push_registration_reads_as_none(device):
    with device.transaction() as conn:
        sync_state.set_push_device(conn, {"subscription_id": "abc", "user_id": USER})
    assert kept(device, sync_state.push_device) == {"subscription_id": "abc", "user_id": USER}
    with device.transaction() as conn:
        conn.execute("update sync_state set value = 'not json' where key = 'push_device'")
    assert kept(device, sync_state.push_device) is None
    with device.transaction() as conn:
        sync_state.set_push_device(conn, None)
    assert device.query("select count(*) from sync_state where key = 'push_device'")[0][0] == 0
