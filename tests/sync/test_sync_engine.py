"""The sync engine against an in-memory server: ordering, retries, crash recovery, rejects,
the pull cursor, and what the member is told."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chris_app.services import affirmations, day, profile, vision_board
from chris_app.services._rows import enqueue
from chris_app.sync import sync_state
from chris_app.sync.engine import SyncState, attach_account
from chris_app.sync.errors import AccountMismatch, AuthExpired, Offline, RateLimited, ServerError
from chris_app.sync.outgoing import pending_count
from chris_app.sync.snapshot import snapshot
from sync_helpers import EVENING, MORNING, USER, NoSleep, engine_for, kept, open_device, record_morning
from fake_server import Crash, FakeTransport

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def outbox(store):
    return [(r["entity"], r["op"]) for r in store.query("select * from outbox order by seq")]


def rpc_outbox(store):
    return [e for e in outbox(store) if e[0] != "recordings"]


def test_a_guest_day_is_pushed_and_the_device_ends_synced(device, transport, server):
    record_morning(device, MORNING)
    day.set_action(device, MORNING, "Ship the landing page")
    day.save_evening(device, EVENING, action_completed=True, discipline_rating=8, biggest_win="Shipped it")

    status = engine_for(device, transport).run()

    assert status.state is SyncState.SYNCED and status.pending == 0
    assert status.message == "Everything is synced."
    assert rpc_outbox(device) == []
    row = server.sessions["2026-06-10"]
    assert row["recording_path"] == f"{USER}/2026-06-10-recording.ogg"
    assert row["morning_completed"] is True and row["discipline_rating"] == 8 and row["action_completed"] is True


def test_the_first_push_carries_everything_the_guest_edited_and_no_install_default(device, transport, server):
    day.set_action(device, MORNING, "Call the bank")
    profile.update_profile(device, MORNING, display_name="Chris")
    profile.update_settings(device, MORNING, theme="dark")
    pushed = []
    real_push = server.push
    server.push = lambda changes, client_id, op_id: pushed.append(changes) or real_push(changes, client_id, op_id)

    engine_for(device, transport).run()

    edited = "2026-06-10T03:30:00+00:00"
    # the edits, each with its edit time; the defaults (time zone, reminders, ...) are no edits
    assert server.profile["display_name"] == "Chris" and server.profile["prefs_stamps"] == {"display_name": edited}
    assert server.settings["theme"] == "dark" and server.settings["field_stamps"] == {"theme": edited}
    settings_sent = next(c["user_settings"] for c in pushed if "user_settings" in c)
    assert settings_sent["field_stamps"] == {"theme": "2026-06-10T03:30:00.000000+00:00"}  # the device's format
    assert server.profile["first_day"] == "2026-06-10"  # the guest's history starts the account
    # the starter text was never saved by the guest: still the account's first version
    assert [(a["version"], a["is_active"], a["client_updated_at"]) for a in server.affirmations.values()] == \
        [(1, True, None)]
    assert server.sessions["2026-06-10"]["violent_action"] == "Call the bank"


def test_settings_the_guest_never_touched_are_sent_without_stamps_and_change_nothing(device, transport, server):
    server.settings.update(theme="light", field_stamps={"theme": "2026-06-01T08:00:00+00:00"})

    engine_for(device, transport).run()

    assert server.settings["theme"] == "light" and server.settings["client_updated_at"] is None
    assert profile.get_settings(device).theme == "light"  # the device took the account's choice


def test_affirmations_go_up_alone_before_the_days_that_point_at_them(device, transport, server):
    record_morning(device, MORNING)
    pushed = []
    real_push = server.push
    server.push = lambda changes, client_id, op_id: pushed.append((op_id, sorted(changes))) or real_push(
        changes, client_id, op_id)

    engine_for(device, transport).run()

    assert pushed == [(1, ["affirmations"]), (2, ["daily_sessions", "profile", "user_settings"])]


def test_a_failing_transport_is_retried_with_exponential_backoff_and_jitter(device, transport):
    day.set_action(device, MORNING, "Call the bank")
    transport.fail = [Offline(), Offline(), ServerError()]
    sleep = NoSleep()

    status = engine_for(device, transport, sleep=sleep, rand=lambda: 0.5).run()

    # delay = d/2 + d/2·rand with d = 1, 2, 4 s
    assert sleep.delays == [0.75, 1.5, 3.0]
    assert status.state is SyncState.SYNCED


def test_the_jitter_stays_between_half_and_all_of_the_capped_delay(device, transport):
    low = engine_for(device, transport, rand=lambda: 0.0, max_delay=60)
    high = engine_for(device, transport, rand=lambda: 0.999999, max_delay=60)
    assert [low.backoff(n) for n in (0, 3, 10)] == [0.5, 4.0, 30.0]
    assert [round(high.backoff(n), 3) for n in (0, 3, 10)] == [1.0, 8.0, 60.0]


def test_after_the_last_attempt_the_member_sees_offline_and_nothing_is_lost(device, transport, server):
    day.set_action(device, MORNING, "Call the bank")
    transport.fail = [Offline()] * 5

    status = engine_for(device, transport, max_attempts=5).run()

    assert status.state is SyncState.OFFLINE
    assert status.message.startswith("You're offline.")
    assert status.pending == len(rpc_outbox(device)) > 0
    attempts = device.query("select max(attempts), max(last_error) from outbox")[0]
    assert attempts[0] == 5 and attempts[1].startswith("You're offline.")
    # and the next run, online again, delivers it with the op id that was in flight
    status = engine_for(device, transport).run()
    assert status.state is SyncState.SYNCED
    assert server.sessions["2026-06-10"]["violent_action"] == "Call the bank"
    assert [op for _, op, _ in server.log] == [1, 2]  # op 1 (affirmations) was the one in flight


def test_a_busy_server_is_a_calm_status_and_the_next_try_waits_as_long_as_it_asked(device, transport, server):
    day.set_action(device, MORNING, "Call the bank")
    transport.fail = [RateLimited(30)]
    sleep, seen = NoSleep(), []

    status = engine_for(device, transport, sleep=sleep, rand=lambda: 0.5, on_status=seen.append).run()

    [busy] = [s for s in seen if s.state is SyncState.BUSY]
    assert busy.message == "The server is busy. Syncing again in 30 s." and busy.retry_after == 30
    assert busy.state is not SyncState.ERROR and busy.pending > 0  # nothing is lost
    assert sleep.delays == [30]  # the server's 30 s, not the first backoff's 0.75 s
    assert status.state is SyncState.SYNCED
    assert server.sessions["2026-06-10"]["violent_action"] == "Call the bank"


def test_a_server_still_busy_after_the_last_attempt_leaves_the_calm_status_for_the_next_run(device, transport):
    day.set_action(device, MORNING, "Call the bank")
    transport.fail = [RateLimited(2.5)] * 5
    sleep, seen = NoSleep(), []

    status = engine_for(device, transport, sleep=sleep, rand=lambda: 0.5, max_attempts=5,
                        on_status=seen.append).run()

    # each wait is the longer of the server's wish and the backoff (0.75, 1.5, 3, 6 s), and the
    # member is told the wait that really comes
    assert sleep.delays == [2.5, 2.5, 3.0, 6.0]
    assert [s.message for s in seen if s.state is SyncState.BUSY][:4] == [
        f"The server is busy. Syncing again in {n} s." for n in (3, 3, 3, 6)]
    assert status.state is SyncState.BUSY and status.retry_after == 2.5
    assert status.message == "The server is busy. Syncing again in 3 s."
    assert status.pending == len(rpc_outbox(device)) > 0


def test_an_expired_sign_in_stops_with_a_reason_in_words(device, transport):
    day.set_action(device, MORNING, "Call the bank")
    transport.fail = [AuthExpired()]

    status = engine_for(device, transport).run()

    assert status.state is SyncState.ERROR
    assert status.message == "Your sign-in has expired. Please sign in again to keep syncing."


def test_an_expired_sign_in_is_refreshed_once_and_the_run_goes_on(device, transport):
    day.set_action(device, MORNING, "Call the bank")
    transport.fail = [AuthExpired()]
    refreshed = []

    status = engine_for(device, transport, refresh_auth=lambda: refreshed.append(1) or True).run()

    assert refreshed == [1] and status.state is SyncState.SYNCED


def test_a_crash_between_push_and_acknowledgement_replays_the_same_op_id(tmp_path, server):
    path = tmp_path / "chris.sqlite3"
    device = open_device(path)
    record_morning(device, MORNING)
    transport = FakeTransport(server)
    transport.crash_after_push = True
    with pytest.raises(Crash):
        engine_for(device, transport).run()
    device.close()
    assert [op for _, op, _ in server.log] == [1]  # the server applied it; the device never heard

    restarted = open_device(path)
    status = engine_for(restarted, FakeTransport(server)).run()

    client = kept(restarted, sync_state.client_id)
    assert server.log[:2] == [(client, 1, False), (client, 1, True)]  # same op id, replayed
    assert status.state is SyncState.SYNCED and rpc_outbox(restarted) == []
    assert len(server.sessions) == 1 and len(server.affirmations) == 1  # nothing doubled
    assert snapshot(restarted.conn, USER)["daily_sessions"][0]["recording_sha256"] == \
        server.sessions["2026-06-10"]["recording_sha256"]  # nothing lost
    restarted.close()


def test_an_edit_made_after_a_crash_is_not_acknowledged_by_the_replay(tmp_path, server):
    path = tmp_path / "chris.sqlite3"
    device = open_device(path)
    day.set_action(device, MORNING, "Call the bank")
    engine_for(device, FakeTransport(server)).run()
    day.set_action(device, MORNING + timedelta(minutes=5), "Call the bank and the landlord")
    transport = FakeTransport(server)
    transport.crash_after_push = True
    with pytest.raises(Crash):
        engine_for(device, transport).run()
    day.save_evening(device, EVENING, action_completed=True, discipline_rating=9, biggest_win="Both calls")
    device.close()

    restarted = open_device(path)
    engine_for(restarted, FakeTransport(server)).run()

    ops = [(op, replayed) for _, op, replayed in server.log]
    assert ops[-3:] == [(3, False), (3, True), (4, False)]  # the replay, then the evening in a new op
    row = server.sessions["2026-06-10"]
    assert row["violent_action"] == "Call the bank and the landlord" and row["discipline_rating"] == 9
    assert rpc_outbox(restarted) == []
    restarted.close()


def test_a_row_edited_while_its_push_is_in_flight_stays_queued_and_goes_next(device, transport, server):
    day.set_action(device, MORNING, "Call the bank")
    engine = engine_for(device, transport)
    engine.run()
    day.set_action(device, MORNING + timedelta(minutes=1), "Run 5 km")
    transport.before_push = lambda: day.set_action(device, MORNING + timedelta(minutes=2), "Run 10 km")

    engine.run()  # the push in flight carried "Run 5 km"; the run went round again

    assert server.sessions["2026-06-10"]["violent_action"] == "Run 10 km"
    assert rpc_outbox(device) == []


def write_long_name(device, also: dict | None = None):
    """A display name the server refuses (it takes 1–40 characters; this app now checks that
    too, so the row is written as an older version of the app could have), edited at 03:31
    like the profile fields in `also`."""
    fields = {"display_name": "C" * 60, **(also or {})}
    edited = "2026-06-10T03:31:00.000000+00:00"
    with device.transaction() as conn:
        conn.execute("update profile set " + ", ".join(f"{k} = ?" for k in fields) + ", field_stamps = ?,"
                     " updated_at = ? where id = 1",
                     (*fields.values(), json.dumps({k: edited for k in fields}), edited))
        enqueue(conn, "profile", "1", MORNING)


def test_rejected_rows_leave_the_outbox_and_keep_their_reason_for_the_member(device, transport, server):
    day.set_action(device, MORNING, "Call the bank")
    write_long_name(device, also={"morning_time": "06:15"})  # e.g. saved by an older app version

    status = engine_for(device, transport).run()

    assert status.state is SyncState.SYNCED and rpc_outbox(device) == []
    assert server.sessions["2026-06-10"]["violent_action"] == "Call the bank"  # the rest of the batch applied
    assert server.profile["morning_protocol_time"] == "06:15:00"  # and the row's other field
    [rejection] = status.rejections
    assert (rejection.entity, rejection.row_id, rejection.field, rejection.code) == \
        ("profile", "1", "display_name", "23514")
    assert "profiles_display_name_check" in rejection.reason  # the server's own words, for support
    assert rejection.message == ("Your profile (display name) could not be synced: a value is outside what your"
                                 " account allows. This device now shows what your account holds.")
    assert status.skipped == 0 and status.message == "Everything is synced."
    # the device took the account's value back instead of staying apart from it
    assert (profile.get_profile(device).display_name, profile.get_profile(device).morning_time) == ("", "06:15")
    assert server.profile["display_name"] is None


def test_the_cursor_does_not_advance_while_changes_wait_to_be_pushed(device, transport, server):
    engine = engine_for(device, transport)
    engine.run()
    first = kept(device, sync_state.cursor)
    assert first > 0
    day.set_action(device, MORNING, "Call the bank")
    transport.fail = [Offline()] * 5
    engine.run()
    assert kept(device, sync_state.cursor) == first
    assert not [c for c in transport.calls if c[0] == "pull" and c[1] != 0]  # no pull was even tried


def test_a_pull_is_not_applied_when_the_member_edited_during_it(device, transport, server, other_device):
    engine_for(other_device, FakeTransport(server)).run()
    engine = engine_for(device, transport)
    real_pull = transport.pull

    def pull_while_editing(since, client_id):
        response = real_pull(since, client_id)
        day.set_action(device, MORNING, "Edited during the pull")
        return response

    transport.pull = pull_while_editing
    assert engine.pull() is None
    assert kept(device, sync_state.cursor) == 0


def test_a_day_made_on_two_devices_takes_the_servers_id_and_keeps_both_halves(device, other_device, server):
    record_morning(device, MORNING)
    day.save_evening(other_device, EVENING, action_completed=False, discipline_rating=4, biggest_win="Rested")
    a, b = engine_for(device, FakeTransport(server)), engine_for(other_device, FakeTransport(server))

    a.run(), b.run(), a.run()

    server_day = server.sessions["2026-06-10"]
    assert server_day["morning_completed"] is True and server_day["discipline_rating"] == 4
    ids = {s.query("select id from daily_sessions")[0][0] for s in (device, other_device)}
    assert ids == {server_day["id"]}
    assert snapshot(device.conn, USER) == snapshot(other_device.conn, USER)


def test_replacing_a_tile_sends_only_the_new_image(device, transport, server):
    vision_board.set_tile(device, MORNING, 3, PNG, "Cabin")
    engine_for(device, transport).run()
    vision_board.set_tile(device, MORNING + timedelta(minutes=1), 3, PNG, "Bigger cabin")
    engine_for(device, transport).run()

    tile = server.tile_at(3)
    assert tile["caption"] == "Bigger cabin" and tile["deleted_at"] is None
    assert len(server.tiles) == 1
    # the server kept its row for position 3; the device took its id
    assert device.query("select id from vision_board_tiles")[0][0] == tile["id"]


def test_a_removed_tile_is_removed_on_the_other_device(device, other_device, server):
    vision_board.set_tile(device, MORNING, 2, PNG, "Boat")
    a, b = engine_for(device, FakeTransport(server)), engine_for(other_device, FakeTransport(server))
    a.run(), b.run()
    assert [t.position for t in vision_board.tiles(other_device)] == [2]
    assert str(vision_board.tiles(other_device)[0].image_path).startswith(f"remote:{USER}/")

    vision_board.remove_tile(device, MORNING + timedelta(minutes=1), 2)
    a.run(), b.run()

    assert vision_board.tiles(other_device) == []
    assert server.tile_at(2)["deleted_at"] is not None


def test_a_tile_swapped_onto_an_empty_position_of_the_account_takes_a_new_server_id(device, other_device, server):
    vision_board.set_tile(device, MORNING, 1, PNG, "Cabin")
    a, b = engine_for(device, FakeTransport(server)), engine_for(other_device, FakeTransport(server))
    a.run()
    [cabin] = vision_board.tiles(device)
    vision_board.set_tile(device, MORNING + timedelta(minutes=1), 2, PNG, "Boat")
    # swapped before the boat was ever synced: the cabin's id goes to position 2, where the
    # account has no row, while the account still holds that id at position 1
    vision_board.move_tile(device, MORNING + timedelta(minutes=2), 1, 2)

    status = a.run()

    assert status.state is SyncState.SYNCED and status.rejections == ()
    by_position = {t["position"]: t for t in server.tiles.values()}
    assert {p: t["caption"] for p, t in by_position.items()} == {1: "Boat", 2: "Cabin"}
    assert by_position[1]["id"] == cabin.id and by_position[2]["id"] != cabin.id  # a fresh id at 2
    assert {t.position: t.id for t in vision_board.tiles(device)} == {p: t["id"] for p, t in by_position.items()}
    b.run()
    assert snapshot(other_device.conn, USER)["vision_boards"] == snapshot(device.conn, USER)["vision_boards"]


def test_affirmation_versions_are_renumbered_by_the_server_and_days_follow(device, other_device, server):
    a, b = engine_for(device, FakeTransport(server)), engine_for(other_device, FakeTransport(server))
    b.run()  # the other device's starter text is version 1 on the server
    server.push({"affirmations": [{"id": "9d1c7a52-1111-4a57-9a57-2a7c3f1b9e02", "content": "I act first.",
                                   "client_updated_at": "2026-06-09T20:00:00+00:00"}]},
                "9d1c7a52-0000-4a57-9a57-2a7c3f1b9eff", 1)  # and version 2, saved on a third device
    affirmations.save_new_version(device, MORNING, "I keep my word.")  # version 2 here
    record_morning(device, MORNING + timedelta(minutes=1))  # read version 2
    a.run()

    versions = {a_["content"]: a_["version"] for a_ in server.affirmations.values()}
    # a's own starter text is the account's version 1 (the same default, not doubled); the
    # server numbered the new text after the account's 1 and 2
    assert versions == {affirmations.STARTER_AFFIRMATIONS: 1, "I act first.": 2, "I keep my word.": 3}
    assert device.query("select affirmations_version from daily_sessions")[0][0] == 3
    assert server.sessions["2026-06-10"]["affirmations_version"] == 3
    b.run()
    assert snapshot(device.conn, USER) == snapshot(other_device.conn, USER)
    assert affirmations.active(other_device).content == "I keep my word."


def test_the_status_counts_what_waits_and_says_it_in_words(device, transport):
    engine = engine_for(device, transport)
    engine.run()
    assert engine.status().state is SyncState.SYNCED
    day.set_action(device, MORNING, "Call the bank")
    assert (engine.status().state, engine.status().message) == (SyncState.PENDING, "1 change waiting to sync.")
    profile.update_profile(device, MORNING, display_name="Chris")
    assert engine.status().message == "2 changes waiting to sync."


def test_the_status_is_published_while_a_run_goes_on(device, transport):
    seen = []
    engine_for(device, transport, on_status=lambda s: seen.append(s.state)).run()
    assert seen[0] is SyncState.SYNCING and seen[-1] is SyncState.SYNCED


def test_a_device_attached_to_one_account_refuses_to_sync_another(device, transport):
    attach_account(device, "0e5c39b8-0000-4000-8000-000000000001", MORNING)
    with pytest.raises(AccountMismatch):
        attach_account(device, USER, MORNING)
    status = engine_for(device, transport).run()
    assert status.state is SyncState.ERROR and "another account" in status.message


def test_attaching_the_same_account_twice_queues_nothing_new(device):
    attach_account(device, USER, MORNING)
    queued = pending_count(device.conn)
    attach_account(device, USER, MORNING)
    assert pending_count(device.conn) == queued


def test_a_pulled_row_this_device_cannot_hold_is_skipped_alone_reported_and_the_cursor_moves_on(
        device, transport, server):
    engine = engine_for(device, transport)
    engine.run()
    # another client wrote a completed morning without a recording (the local schema needs
    # one), next to a day, a tile and a setting this device can hold
    result = server.push({
        "daily_sessions": [
            {"id": "9b0c3f1e-0000-4000-8000-000000000001", "date": "2026-06-09", "morning_completed": True,
             "morning_updated_at": "2026-06-09T04:00:00Z"},
            {"id": "9b0c3f1e-0000-4000-8000-000000000002", "date": "2026-06-08", "evening_completed": True,
             "action_completed": True, "discipline_rating": 7, "biggest_win": "Rested",
             "evening_updated_at": "2026-06-08T19:00:00Z"}],
        "vision_boards": [{"id": "9b0c3f1e-0000-4000-8000-000000000003", "position": 5,
                           "image_path": f"{USER}/5-boat.png", "caption": "Boat",
                           "client_updated_at": "2026-06-09T04:00:00Z"}],
        "user_settings": {"theme": "dark", "field_stamps": {"theme": "2026-06-09T04:00:00Z"}}},
        "9b0c3f1e-0000-4000-8000-0000000000ff", 1)
    assert result["rejected"] == [] and result["applied"] == 4

    status = engine.run()

    assert status.state is SyncState.SYNCED and kept(device, sync_state.cursor) == server.next_xid
    [problem] = status.rejections
    assert (problem.entity, problem.row_id, problem.code) == \
        ("daily_sessions", "9b0c3f1e-0000-4000-8000-000000000001", "local")
    assert problem.message == ("A day from your account could not be used on this device: it is outside what this"
                               " app version can hold; this device keeps its own.")
    assert status.skipped == 1
    assert status.message == ("Synced, except 1 item from your account that this device could not use"
                              " (see below).")
    assert device.query("select count(*) from daily_sessions where date = '2026-06-09'")[0][0] == 0
    # its neighbours came down
    assert device.query("select discipline_rating from daily_sessions where date = '2026-06-08'")[0][0] == 7
    assert [(t.position, t.caption) for t in vision_board.tiles(device)] == [(5, "Boat")]
    assert profile.get_settings(device).theme == "dark"
    # reported once: the next run does not pull it again
    assert engine.run().skipped == 1


def test_rejections_can_be_dismissed_once_the_member_has_read_them(device, transport):
    write_long_name(device)
    engine = engine_for(device, transport)
    assert len(engine.run().rejections) == 1
    engine.dismiss_rejections()
    assert engine.status().rejections == ()
