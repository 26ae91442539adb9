"""What comes down from the account is checked at the edge of the device: a row the device
cannot hold is skipped alone (logged, counted in the sync status) and a bad value never reaches
a screen (issue 12, failures 4 and 5)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from chris_app.domain import limits
from chris_app.services import affirmations, day, summary
from chris_app.services.profile import get_profile
from chris_app.sync.engine import SyncState
from chris_app.sync.incoming import apply_pull
from sync_helpers import EVENING, MORNING, USER, engine_for

STAMP = "2026-06-09T18:00:00+00:00"


def version(n: int, content: str, active: bool) -> dict:
    return {"id": f"00000000-0000-4000-8000-{n:012d}", "version": n, "content": content, "is_active": active,
            "client_updated_at": STAMP, "created_at": STAMP, "updated_at": STAMP}


def session(date: str, **fields) -> dict:
    return {"id": f"5e55{date.replace('-', '')}-0000-4000-8000-000000000000", "date": date,
            "violent_action": "Call the bank", "violent_action_set_at": STAMP, "morning_updated_at": STAMP,
            "created_at": STAMP, "updated_at": STAMP, **fields}


class PullOnly:
    """A server that accepts every push and answers pulls with one prepared response."""

    def __init__(self, changes: dict) -> None:
        self.changes = changes

    def push(self, changes, client_id, op_id):
        return {"op_id": op_id, "applied": 0, "unchanged": 0, "rejected": [], "ids": {}, "versions": {},
                "replayed": False}

    def pull(self, since, client_id):
        return {"cursor": 7, "changes": self.changes}


def test_an_affirmations_version_too_long_for_the_device_is_skipped_alone_and_the_active_one_arrives(device, caplog):
    too_long = "I act. " * (limits.AFFIRMATIONS_MAX // 7 + 1)
    changes = {"affirmations": [version(1, "I keep my word.", False), version(2, too_long, False),
                                version(3, "I finish what I start.", True)]}

    with caplog.at_level(logging.WARNING, logger="chris_app.sync.incoming"):
        status = engine_for(device, PullOnly(changes)).run()

    assert affirmations.active(device).content == "I finish what I start."
    held = {a.version: a.content for a in affirmations.history(device)}
    assert (held[1], held[3], 2 in held) == ("I keep my word.", "I finish what I start.", False)
    assert status.state is SyncState.SYNCED and status.skipped == 1
    assert "1 item from your account" in status.message
    [kept_off] = status.rejections
    assert (kept_off.entity, kept_off.row_id, kept_off.code) == ("affirmations", version(2, "", False)["id"], "local")
    assert "could not be used on this device" in kept_off.message
    assert any("affirmations" in r.getMessage() for r in caplog.records)


def test_a_pulled_time_zone_the_device_does_not_know_is_refused_alone_and_home_and_the_evening_still_work(device):
    with device.transaction() as conn:
        skipped = apply_pull(conn, {"profile": {
            "display_name": "Chris", "timezone": "Mars/Olympus_Mons", "day_start": 3,
            "morning_protocol_time": "06:15:00", "evening_review_time": "21:30:00", "leaderboard_opt_in": False,
            "first_day": "2026-06-01",
            "prefs_stamps": {"display_name": STAMP, "timezone": STAMP, "morning_protocol_time": STAMP}}}, USER)

    [problem] = skipped
    assert (problem.table, problem.field) == ("profile", "timezone") and "Mars/Olympus_Mons" in problem.reason
    me = get_profile(device)
    assert (me.display_name, me.timezone, me.morning_time, me.evening_time, me.first_day.isoformat()) == (
        "Chris", "Europe/Berlin", "06:15", "21:30", "2026-06-01")
    stamps = json.loads(device.query("select field_stamps from profile")[0][0])
    assert "timezone" not in stamps and stamps["display_name"] == "2026-06-09T18:00:00.000000+00:00"
    summary.home(device, MORNING)
    day.save_evening(device, EVENING, action_completed=False, discipline_rating=6, biggest_win="Rested")


def test_a_store_that_already_holds_an_unknown_zone_reads_it_as_utc_instead_of_crashing(device):
    with device.transaction() as conn:
        conn.execute("update profile set timezone = 'Mars/Olympus_Mons'")
    assert get_profile(device).timezone == "UTC"
    summary.home(device, MORNING)
    day.save_evening(device, EVENING, action_completed=False, discipline_rating=6, biggest_win="Rested")


def test_bad_days_tiles_and_settings_values_are_skipped_alone_and_their_neighbours_apply(device):
    good, later = "2026-06-08", "2026-06-09"
    with device.transaction() as conn:
        skipped = apply_pull(conn, {
            "daily_sessions": [session(good), session("2026-02-30"), session(later, discipline_rating=11,
                                                                              evening_updated_at=STAMP)],
            "vision_boards": [{"id": "7f1e0000-0000-4000-8000-000000000001", "position": 9, "image_path": f"{USER}/a.png",
                               "client_updated_at": STAMP},
                              {"id": "7f1e0000-0000-4000-8000-000000000002", "position": 2, "image_path": f"{USER}/b.png",
                               "caption": "Boat", "client_updated_at": STAMP}],
            "user_settings": {"theme": "purple", "sound_enabled": False, "push_notifications": "yes",
                              "field_stamps": {"theme": STAMP, "sound_enabled": STAMP}},
            "reach": [{"push_reachable": 1, "email_reachable": True}],
        }, USER)

    assert sorted((s.table, s.field) for s in skipped) == [
        ("daily_sessions", None), ("daily_sessions", None), ("user_settings", "push_notifications"),
        ("user_settings", "push_reachable"), ("user_settings", "theme"), ("vision_boards", None)]
    assert [d.date.isoformat() for d in day.all_days(device)] == [good]
    assert [tuple(r) for r in device.query("select position, caption from vision_board_tiles")] == [(2, "Boat")]
    settings = device.query("select theme, sound_enabled, push_notifications, push_reachable, email_reachable"
                            " from settings")[0]
    assert tuple(settings) == ("system", 0, 1, 0, 1)


def test_the_servers_facts_come_only_from_reach_and_a_bad_reach_is_skipped_and_logged(device, caplog):
    with device.transaction() as conn:
        skipped = apply_pull(conn, {"user_settings": [{"theme": "dark", "push_reachable": True, "email_reachable": False,
                                                       "field_stamps": {"theme": STAMP}}],
                                    "reach": [{"email_reachable": True}]}, USER)
    assert skipped == []
    # facts inside the settings row are not the server's word: `reach` is (a fact it lacks stays)
    assert tuple(device.query("select theme, push_reachable, email_reachable from settings")[0]) == ("dark", 0, 1)

    with caplog.at_level(logging.WARNING, logger="chris_app.sync.incoming"), device.transaction() as conn:
        skipped = apply_pull(conn, {"reach": "push"}, USER)
    [problem] = skipped
    assert problem.table == "user_settings" and "not an object" in problem.reason
    assert any("user_settings" in r.getMessage() and "not an object" in r.getMessage() for r in caplog.records)
    assert tuple(device.query("select push_reachable, email_reachable from settings")[0]) == (0, 1)

    with device.transaction() as conn:  # a server from before `reach`: the device keeps what it had
        assert apply_pull(conn, {"user_settings": [], "profile": []}, USER) == []
    assert tuple(device.query("select push_reachable, email_reachable from settings")[0]) == (0, 1)


def test_the_sync_status_stops_counting_skipped_rows_once_dismissed(device):
    changes = {"affirmations": [version(1, "x" * (limits.AFFIRMATIONS_MAX + 1), True)]}
    engine = engine_for(device, PullOnly(changes), clock=lambda: MORNING + timedelta(minutes=1))
    assert engine.run().skipped == 1
    engine.dismiss_rejections()
    assert engine.status().skipped == 0 and engine.status().message == "Everything is synced."
    # the device's own version stayed active: a skipped version never takes the active place
    assert affirmations.active(device).content == affirmations.STARTER_AFFIRMATIONS
