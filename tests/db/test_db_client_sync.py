"""The client's sync engine against the REAL sync RPCs: the payloads chris_app.sync builds are
pushed and pulled through public.sync_push / public.sync_pull on the throwaway PostgreSQL
cluster, as an authenticated member (role `authenticated` + JWT claims, as PostgREST does it),
from stores filled by the app's own services."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import numpy as np
import psycopg.rows
import pytest
import soundfile

from chris_app.domain import defaults
from chris_app.services import affirmations, day, profile, vision_board
from chris_app.services._rows import enqueue
from chris_app.services.profile import ensure_profile
from chris_app.services.recordings import import_audio_file
from chris_app.store import open_store
from chris_app.sync.engine import SyncEngine, SyncState
from chris_app.sync.snapshot import snapshot
from sql_sync import Crash, SqlTransport, signed_up

pytestmark = pytest.mark.db

MORNING_UTC = datetime(2026, 6, 10, 3, 30, tzinfo=timezone.utc)  # 05:30 in Berlin
EVENING_UTC = MORNING_UTC + timedelta(hours=15)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def member(pg):
    with signed_up(pg, "client-sync") as uid:
        yield uid


@pytest.fixture
def rpc(pg, member):
    transports = []

    def make():
        t = SqlTransport(pg, member)
        transports.append(t)
        return t

    yield make
    for t in transports:
        t.close()


def new_device(path):
    s = open_store(path)
    ensure_profile(s, MORNING_UTC, "Europe/Berlin")
    return s


def engine(store, transport, uid):
    return SyncEngine(store, transport, uid, sleep=lambda s: None, clock=lambda: MORNING_UTC)


def wav(seconds: float = 25.0, samplerate: int = 16000) -> bytes:
    t = np.arange(int(seconds * samplerate)) / samplerate
    buf = io.BytesIO()
    soundfile.write(buf, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), samplerate, format="WAV")
    return buf.getvalue()


def server_rows(pg, uid, sql):
    with pg.connect() as admin:
        return admin.execute(sql, (uid,)).fetchall()


def test_a_guest_day_reaches_the_server_and_a_new_device_ends_equal(store, tmp_path, member, rpc, pg):
    # a guest's day, made by the app's own services (a real Opus recording)
    import_audio_file(store, MORNING_UTC, "reading.wav", wav())
    day.mark_vision_board_viewed(store, MORNING_UTC)
    day.set_action(store, MORNING_UTC, "Cold-call five prospects before noon",
                   library_id="bd85054c-c13a-594e-9a06-8c7455772073")
    day.save_evening(store, EVENING_UTC, action_completed=True, discipline_rating=8, biggest_win="Two meetings")
    vision_board.set_tile(store, MORNING_UTC, 1, PNG, "Cabin by the lake")
    profile.update_profile(store, MORNING_UTC, display_name="Chris")
    second = new_device(tmp_path / "second" / "chris.sqlite3")

    a, b = engine(store, rpc(), member), engine(second, rpc(), member)
    assert a.run().state is SyncState.SYNCED
    assert b.run().state is SyncState.SYNCED
    assert a.run().state is SyncState.SYNCED  # brings the second device's starter text over

    assert snapshot(store.conn, member) == snapshot(second.conn, member)
    [(path, done, rating, lib, stamp)] = server_rows(pg, member,
        "select recording_path, morning_completed, discipline_rating, violent_action_id::text, morning_updated_at"
        " from public.daily_sessions where user_id = %s")
    assert (path, done, rating, lib) == (f"{member}/2026-06-10-recording.ogg", True, 8,
                                         "bd85054c-c13a-594e-9a06-8c7455772073")
    [(total, name, zone)] = server_rows(pg, member,
        "select total_days_completed, display_name, timezone from public.profiles where id = %s")
    assert (total, name, zone) == (1, "Chris", "Europe/Berlin")  # statistics kept by the server's triggers
    # the second device knows the recording by its object name, to download on demand
    assert second.query("select path from recordings")[0][0] == f"remote:{member}/2026-06-10-recording.ogg"
    second.close()


def test_morning_on_one_device_and_evening_on_another_both_stay(store, tmp_path, member, rpc, pg):
    other = new_device(tmp_path / "other" / "chris.sqlite3")
    import_audio_file(store, MORNING_UTC, "reading.wav", wav())
    day.save_evening(other, EVENING_UTC, action_completed=False, discipline_rating=5, biggest_win="Rested")

    a, b = engine(store, rpc(), member), engine(other, rpc(), member)
    a.run(), b.run(), a.run()

    [(done, rating, n)] = server_rows(pg, member, "select bool_and(morning_completed), max(discipline_rating), count(*)"
                                                  " from public.daily_sessions where user_id = %s")
    assert (done, rating, n) == (True, 5, 1)
    assert snapshot(store.conn, member) == snapshot(other.conn, member)
    other.close()


def test_a_value_the_server_refuses_comes_back_with_its_reason_the_rest_applies_and_the_device_takes_the_account_value(
        store, member, rpc, pg):
    # A display name the server refuses (1–40 characters), next to a morning time it accepts.
    # The app checks names too now, so the row is written as an older version could have.
    edited = "2026-06-10T03:31:00.000000+00:00"
    with store.transaction() as conn:
        conn.execute("update profile set display_name = ?, morning_time = '06:15', field_stamps = ? where id = 1",
                     ("C" * 60, json.dumps({"display_name": edited, "morning_time": edited})))
        enqueue(conn, "profile", "1", MORNING_UTC)
    day.set_action(store, MORNING_UTC, "Call the bank")

    status = engine(store, rpc(), member).run()

    assert status.state is SyncState.SYNCED
    [rejection] = status.rejections
    assert (rejection.entity, rejection.field, rejection.code) == ("profile", "display_name", "23514")
    assert "profiles_display_name_check" in rejection.reason
    assert "display name" in rejection.message and "your account" in rejection.message
    assert store.query("select count(*) from outbox where entity != 'recordings'")[0][0] == 0
    # the field the server took stays; the refused one is the account's again on the device
    assert server_rows(pg, member, "select display_name, morning_protocol_time::text from public.profiles"
                                   " where id = %s") == [(None, "06:15:00")]
    assert profile.get_profile(store).display_name == "" and profile.get_profile(store).morning_time == "06:15"
    assert server_rows(pg, member, "select violent_action from public.daily_sessions where user_id = %s") == \
        [("Call the bank",)]


def test_a_crash_after_the_server_committed_replays_the_same_op_and_doubles_nothing(tmp_path, member, rpc, pg):
    path = tmp_path / "chris.sqlite3"
    device = new_device(path)
    day.set_action(device, MORNING_UTC, "Call the bank")
    crashing = rpc()
    crashing.crash_after_push = True
    with pytest.raises(Crash):
        engine(device, crashing, member).run()
    device.close()

    device = new_device(path)
    again = rpc()
    assert engine(device, again, member).run().state is SyncState.SYNCED

    assert again.results[0]["replayed"] is True and again.results[0]["op_id"] == crashing.results[0]["op_id"]
    assert server_rows(pg, member, "select count(*) from public.affirmations where user_id = %s") == [(1,)]
    assert server_rows(pg, member, "select count(*) from public.daily_sessions where user_id = %s") == [(1,)]
    device.close()


def test_versions_tiles_and_ids_are_rekeyed_by_the_real_server(store, tmp_path, member, rpc, pg):
    other = new_device(tmp_path / "other" / "chris.sqlite3")
    b = engine(other, rpc(), member)
    vision_board.set_tile(other, MORNING_UTC, 4, PNG, "Boat")
    b.run()  # the other device's starter is version 1, its boat tile is at 4
    affirmations.save_new_version(store, MORNING_UTC + timedelta(minutes=1), "I keep my word.")
    vision_board.set_tile(store, MORNING_UTC + timedelta(minutes=2), 4, PNG, "Bigger boat")
    import_audio_file(store, MORNING_UTC + timedelta(minutes=3), "reading.wav", wav())
    a = engine(store, rpc(), member)
    a.run(), b.run()

    versions = dict(server_rows(pg, member, "select content, version from public.affirmations where user_id = %s"))
    # both devices began with the same starter text: one version 1, not two
    assert versions == {affirmations.STARTER_AFFIRMATIONS: 1, "I keep my word.": 2}
    assert server_rows(pg, member, "select affirmations_version from public.daily_sessions where user_id = %s") == [(2,)]
    [(tile_id, caption)] = server_rows(pg, member, "select id::text, caption from public.vision_boards"
                                                   " where user_id = %s and deleted_at is null")
    assert caption == "Bigger boat"
    assert store.query("select id from vision_board_tiles")[0][0] == tile_id  # took the server's id
    assert snapshot(store.conn, member) == snapshot(other.conn, member)
    assert affirmations.active(other).content == "I keep my word."
    other.close()


def test_a_new_accounts_settings_and_profile_preferences_are_the_apps_install_defaults(store, member, pg):
    # Values nobody edited are adopted by every new device, so the server's defaults must be the
    # app's own: otherwise signing in would silently change a setting the member never touched.
    from chris_app.sync.pulled import PROFILE_FIELDS, SETTINGS_FIELDS, clean_profile, clean_settings

    with pg.connect() as admin:
        admin.row_factory = psycopg.rows.dict_row
        settings = admin.execute("select * from public.user_settings where id = %s", (member,)).fetchone()
        prefs = admin.execute("select *, to_char(morning_protocol_time, 'HH24:MI') as morning_protocol_time,"
                              " to_char(evening_review_time, 'HH24:MI') as evening_review_time"
                              " from public.profiles where id = %s", (member,)).fetchone()
    server_settings, _, problems = clean_settings(settings)
    assert problems == []
    device = dict(store.query("select * from settings")[0])
    assert server_settings == {local: device[local] for local in SETTINGS_FIELDS.values()}
    server_prefs, _, _, problems = clean_profile(prefs)
    assert problems == []
    device = dict(store.query("select * from profile")[0])
    assert server_prefs == {local: device[local] for local in PROFILE_FIELDS.values()}


def test_a_profile_taken_back_after_a_refused_field_keeps_the_first_day_the_same_push_claims(store, member, rpc):
    # The account learns the device's (earlier) first day at the end of the push; the profile the
    # server sends back for a refused field already says so: the device's first day never moves
    # later, not even until the next pull.
    edited = "2026-06-10T03:31:00.000000+00:00"
    with store.transaction() as conn:
        conn.execute("update profile set display_name = ?, field_stamps = ? where id = 1",
                     ("C" * 60, json.dumps({"display_name": edited})))
        enqueue(conn, "profile", "1", MORNING_UTC)
    first_day = profile.get_profile(store).first_day

    sync = engine(store, rpc(), member)
    sync._check_account()
    while sync.push_one() is not None:  # the pushes alone (affirmations go first), no pull after them
        pass

    assert [r.field for r in sync.status().rejections] == ["display_name"]
    assert profile.get_profile(store).first_day == first_day


def test_a_refused_day_the_account_has_nothing_of_stays_on_the_device_and_says_so(store, member, rpc, pg):
    # A two-letter action (the app asks for three letters or more; an older version did not).
    day.set_action(store, MORNING_UTC, "Call the bank")
    with store.transaction() as conn:
        conn.execute("update daily_sessions set violent_action = 'Go'")

    status = engine(store, rpc(), member).run()

    [rejection] = status.rejections
    assert (rejection.entity, rejection.code, rejection.kept_here) == ("daily_sessions", "23514", True)
    assert rejection.message.endswith("It stays on this device only.")
    assert [d.violent_action for d in day.all_days(store)] == ["Go"]  # never thrown away
    assert server_rows(pg, member, "select count(*) from public.daily_sessions where user_id = %s") == [(0,)]


def test_a_google_sign_up_takes_the_zone_of_the_device_that_syncs_it_first(pg, tmp_path):
    """Google sends no zone: the real sign-up trigger gives the account UTC with no edit time,
    and the first device's own zone is claimed for it (sync/engine.py `_claim_time_zone`)."""
    with signed_up(pg, "google", zone=None) as uid:
        assert server_rows(pg, uid, "select timezone, prefs_stamps ? 'timezone' from public.profiles where id = %s") \
            == [(defaults.TIMEZONE, False)]  # the trigger's fallback is the app's "zone unknown"
        phone = open_store(tmp_path / "phone" / "chris.sqlite3")
        ensure_profile(phone, MORNING_UTC, "America/New_York")
        transport = SqlTransport(pg, uid)
        try:
            status = engine(phone, transport, uid).run()
        finally:
            transport.close()
        assert status.state is SyncState.SYNCED and status.pending == 0
        assert profile.get_profile(phone).timezone == "America/New_York"
        assert server_rows(pg, uid, "select timezone, prefs_stamps ? 'timezone' from public.profiles where id = %s") \
            == [("America/New_York", True)]
        phone.close()
