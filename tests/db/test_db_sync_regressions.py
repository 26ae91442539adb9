"""Issue 12: the in-memory fake server hid real sync bugs. Each test here is one reported
failure, replayed with devices made by the app's own services and synced by the real engine
through the REAL `public.sync_push` / `public.sync_pull` on the throwaway PostgreSQL cluster
(as PostgREST calls them: role `authenticated` + JWT claims, one committed transaction per
call). What is asserted is what the member sees through the services and what the server's
tables hold, never how the payloads look.

The rules (docs/sync.md, docs/backend.md):
- install defaults are not edits: a new device adopts the account; profile and synced
  settings merge per field, the latest edit (editing device's clock) of each field wins;
- a tile move is an edit of both positions; per position the latest edit wins;
- first_day is the account's earliest day, the same on every device and the server, and the
  statistics agree with the server's for the same "today";
- the active affirmation version is the one saved last by client clock, whichever device
  pushes last; no version is lost or doubled, numbers are 1..n everywhere.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from chris_app.domain.stats import compute_stats
from chris_app.services import affirmations, day, profile, vision_board
from chris_app.services.affirmations import STARTER_AFFIRMATIONS
from chris_app.services.profile import ensure_profile, get_profile, get_settings
from chris_app.services.recordings import save_day_recording
from chris_app.services.summary import day_records
from chris_app.store import open_store
from chris_app.sync.engine import SyncEngine, SyncState
from chris_app.sync.paths import image_object
from chris_app.sync.snapshot import snapshot
from sql_sync import SqlTransport, signed_up

pytestmark = pytest.mark.db

ZONE = "Europe/Berlin"
D0 = datetime(2026, 6, 10, 3, 30, tzinfo=timezone.utc)  # 05:30 in Berlin: a morning
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
PROFILE_FIELDS = ("display_name", "timezone", "day_start_hour", "morning_time", "evening_time",
                  "leaderboard_opt_in")
SYNCED_SETTINGS = ("push_notifications", "email_reminders", "sound_enabled", "auto_play_recording", "theme")


# ---------------------------------------------------------------------------------------------
# The server, as PostgREST would call it
# ---------------------------------------------------------------------------------------------
class Device:
    """One install of the app: its own SQLite store (made by ensure_profile at `installed_at`,
    as the app does on first start), its own connection to the server, its own engine. The
    engine's clock is the device's clock, set by each `sync(now)`."""

    def __init__(self, path: Path, pg, uid: str, installed_at: datetime) -> None:
        self.uid, self.now = uid, installed_at
        self.store = open_store(path)
        ensure_profile(self.store, installed_at, ZONE)
        self.transport = SqlTransport(pg, uid)
        self.engine = SyncEngine(self.store, self.transport, uid, sleep=lambda s: None, rand=lambda: 0.5,
                                 clock=lambda: self.now)

    def sync(self, now: datetime):
        self.now = now
        status = self.engine.run()
        assert status.state is SyncState.SYNCED, f"the sync run ended {status.state}: {status.message}"
        return status

    # what the member sees on this device
    def profile(self) -> dict:
        p = get_profile(self.store)
        return {f: getattr(p, f) for f in PROFILE_FIELDS}

    def settings(self) -> dict:
        s = get_settings(self.store)
        return {f: getattr(s, f) for f in SYNCED_SETTINGS}

    def versions(self) -> list[tuple[int, str, bool]]:
        return [(a.version, a.content, a.is_active) for a in reversed(affirmations.history(self.store))]

    def tiles(self) -> list[tuple[int, str, str | None]]:
        return [(t.position, image_object(self.uid, str(t.image_path)), t.caption)
                for t in vision_board.tiles(self.store)]

    def close(self) -> None:
        self.store.close()
        self.transport.close()


@pytest.fixture
def member(pg):
    """A member signed up as the app does it (the device's time zone in the metadata)."""
    with signed_up(pg, "sync-regression", ZONE) as uid:
        yield uid


@pytest.fixture
def install(pg, member, tmp_path):
    """install(name, at) → a new Device of the member, closed after the test."""
    made: list[Device] = []

    def make(name: str, at: datetime) -> Device:
        made.append(Device(tmp_path / name / "chris.sqlite3", pg, member, at))
        return made[-1]

    yield make
    for d in made:
        d.close()


def server(pg, sql: str, *args):
    with pg.connect() as admin:  # superuser: reads every table, calls private functions
        return admin.execute(sql, args).fetchall()


def server_profile(pg, uid) -> dict:
    [row] = server(pg, "select coalesce(display_name, ''), timezone, day_start,"
                       " to_char(morning_protocol_time, 'HH24:MI'), to_char(evening_review_time, 'HH24:MI'),"
                       " leaderboard_opt_in from public.profiles where id = %s", uid)
    return dict(zip(PROFILE_FIELDS, row))


def server_settings(pg, uid) -> dict:
    [row] = server(pg, "select push_notifications, email_reminders, sound_enabled, auto_play_recording, theme"
                       " from public.user_settings where id = %s", uid)
    return dict(zip(SYNCED_SETTINGS, row))


def server_versions(pg, uid) -> list[tuple[int, str, bool]]:
    return [tuple(r) for r in server(pg, "select version, content, is_active from public.affirmations"
                                         " where user_id = %s order by version", uid)]


def server_tiles(pg, uid) -> list[tuple[int, str, str | None]]:
    return [tuple(r) for r in server(pg, "select position, image_path, caption from public.vision_boards"
                                         " where user_id = %s and deleted_at is null order by position", uid)]


def server_first_day(pg, uid) -> date:
    return server(pg, "select first_day from public.profiles where id = %s", uid)[0][0]


def server_stats(pg, uid, today: date) -> tuple:
    [row] = server(pg, "select current_streak, longest_streak, total_days_completed, completion_rate,"
                       " average_discipline_rating, discipline_score from private.compute_stats(%s::uuid, %s::date)",
                   uid, today)
    return tuple(row)


def device_stats(device: Device, today: date) -> tuple:
    s = compute_stats(day_records(device.store), get_profile(device.store).first_day, today)
    return (s.current_streak, s.longest_streak, s.total_days_completed, s.completion_rate, s.average_rating, s.score)


def record_morning(store, now: datetime, content: bytes = b"OggS fake audio", duration_ms: int = 30_000):
    """Save a day's reading the way the recorder does (a finished file moved into place)."""
    source = store.files_dir / f"incoming-{now.timestamp()}.ogg"
    source.write_bytes(content + str(now).encode())
    return save_day_recording(store, now, source, mime="audio/ogg", duration_ms=duration_ms, sample_rate=48000)


def active_text(versions: list[tuple[int, str, bool]]) -> list[str]:
    return [content for _, content, is_active in versions if is_active]


# ---------------------------------------------------------------------------------------------
# The reported failures
# ---------------------------------------------------------------------------------------------
def test_a_device_installed_later_adopts_the_account_and_its_install_defaults_overwrite_nothing(install, member, pg):
    own = "I keep my word.\nI finish what I start."
    a = install("a", D0)
    # days of use on A: every synced preference changed, own affirmations, a board, mornings
    profile.update_profile(a.store, D0 + timedelta(hours=1), display_name="Chris", timezone="Europe/Lisbon",
                           day_start_hour=4, morning_time="06:15", evening_time="21:30", leaderboard_opt_in=True)
    profile.update_settings(a.store, D0 + timedelta(hours=1, minutes=5), theme="dark", push_notifications=False,
                            email_reminders=True, sound_enabled=False, auto_play_recording=True,
                            min_recording_seconds=45)
    affirmations.save_new_version(a.store, D0 + timedelta(days=1), own)
    vision_board.set_tile(a.store, D0 + timedelta(days=1, minutes=5), 1, PNG, "Cabin")
    record_morning(a.store, D0 + timedelta(days=2))
    a.sync(D0 + timedelta(days=2, hours=1))
    chosen_profile, chosen_settings = a.profile(), a.settings()
    assert chosen_profile == {"display_name": "Chris", "timezone": "Europe/Lisbon", "day_start_hour": 4,
                              "morning_time": "06:15", "evening_time": "21:30", "leaderboard_opt_in": True}
    assert chosen_settings == {"push_notifications": False, "email_reminders": True, "sound_enabled": False,
                               "auto_play_recording": True, "theme": "dark"}

    # days later the member installs the app on another device and signs in there
    b = install("b", D0 + timedelta(days=5))
    b.sync(D0 + timedelta(days=5, minutes=1))
    a.sync(D0 + timedelta(days=5, minutes=2))

    assert server_profile(pg, member) == chosen_profile, "the new device's install defaults overwrote the profile"
    assert server_settings(pg, member) == chosen_settings, "the new device's install defaults overwrote the settings"
    assert b.profile() == chosen_profile, "the new device did not adopt the account's profile"
    assert b.settings() == chosen_settings, "the new device did not adopt the account's settings"
    assert (a.profile(), a.settings()) == (chosen_profile, chosen_settings), "the first device lost its own values"
    # device-only settings stay on their device
    assert (get_settings(a.store).min_recording_seconds, get_settings(b.store).min_recording_seconds) == (45, 20)

    versions = server_versions(pg, member)
    assert active_text(versions) == [own], "the new device's starter text became the active version"
    assert Counter(content for _, content, _ in versions) == Counter({STARTER_AFFIRMATIONS: 1, own: 1}), \
        "the new device added a duplicate of the starter text"
    assert [v for v, _, _ in versions] == list(range(1, len(versions) + 1))
    assert a.versions() == versions and b.versions() == versions
    assert affirmations.active(b.store).content == own and affirmations.active(a.store).content == own

    [(_, image, _)] = a.tiles()
    assert server_tiles(pg, member) == [(1, image, "Cabin")]
    assert b.tiles() == [(1, image, "Cabin")], "the new device did not adopt the board"
    assert snapshot(a.store.conn, member) == snapshot(b.store.conn, member)


def test_a_tile_moved_into_an_empty_position_moves_on_the_server_and_on_the_other_device(install, member, pg):
    a, b = install("a", D0), install("b", D0)
    vision_board.set_tile(a.store, D0 + timedelta(minutes=1), 1, PNG, "Cabin")
    a.sync(D0 + timedelta(minutes=2))
    b.sync(D0 + timedelta(minutes=3))
    [(_, image, _)] = a.tiles()
    assert b.tiles() == [(1, image, "Cabin")]

    vision_board.move_tile(a.store, D0 + timedelta(hours=1), 1, 2)  # position 2 is empty
    status = a.sync(D0 + timedelta(hours=1, minutes=1))
    b.sync(D0 + timedelta(hours=1, minutes=2))

    assert server_tiles(pg, member) == [(2, image, "Cabin")], "the server did not move the tile"
    assert b.tiles() == [(2, image, "Cabin")], "the other device did not move the tile"
    assert a.tiles() == [(2, image, "Cabin")]
    assert [(r.entity, r.code, r.reason) for r in status.rejections] == [], "the server refused the move"
    a.sync(D0 + timedelta(hours=1, minutes=3))
    assert a.tiles() == [(2, image, "Cabin")]
    assert snapshot(a.store.conn, member) == snapshot(b.store.conn, member)


def test_first_day_is_the_accounts_earliest_day_everywhere_and_statistics_agree_with_the_server(install, member, pg):
    signed_up = server_first_day(pg, member)
    a = install("a", D0)
    for i in range(3):  # three days on A
        record_morning(a.store, D0 + timedelta(days=i))
        day.save_evening(a.store, D0 + timedelta(days=i, hours=15), action_completed=True, discipline_rating=6 + i,
                         biggest_win="Shipped")
    b = install("b", D0 + timedelta(days=5))  # installed five days later
    record_morning(b.store, D0 + timedelta(days=5))
    day.save_evening(b.store, D0 + timedelta(days=5, hours=15), action_completed=False, discipline_rating=4,
                     biggest_win="Rested")
    record_morning(b.store, D0 + timedelta(days=6))
    installed = (get_profile(a.store).first_day, get_profile(b.store).first_day)
    assert installed == (D0.date(), D0.date() + timedelta(days=5))

    a.sync(D0 + timedelta(days=6, hours=1))
    b.sync(D0 + timedelta(days=6, hours=2))
    a.sync(D0 + timedelta(days=6, hours=3))

    earliest = min(signed_up, *installed)
    first_days = {"A": get_profile(a.store).first_day, "B": get_profile(b.store).first_day,
                  "server": server_first_day(pg, member)}
    assert first_days == {"A": earliest, "B": earliest, "server": earliest}, \
        "first_day is not the account's earliest day everywhere"

    assert sorted(r.date for r in day_records(a.store)) == sorted(r.date for r in day_records(b.store))
    for today in (D0.date() + timedelta(days=6), D0.date() + timedelta(days=7), D0.date() + timedelta(days=30)):
        figures = {"A": device_stats(a, today), "B": device_stats(b, today), "server": server_stats(pg, member, today)}
        assert figures["A"] == figures["B"] == figures["server"], f"statistics differ for {today}: {figures}"


def test_the_latest_saved_affirmations_are_active_everywhere_although_the_other_device_pushed_last(install, member, pg):
    a, b = install("a", D0), install("b", D0)
    a.sync(D0 + timedelta(minutes=1))
    b.sync(D0 + timedelta(minutes=2))
    a.sync(D0 + timedelta(minutes=3))
    earlier, later = "I keep my word.", "I finish what I start."
    affirmations.save_new_version(a.store, D0 + timedelta(days=1), earlier)  # t1, offline
    affirmations.save_new_version(b.store, D0 + timedelta(days=1, hours=2), later)  # t2 > t1, offline

    b.sync(D0 + timedelta(days=1, hours=3))
    a.sync(D0 + timedelta(days=1, hours=4))  # pushes the older text last
    b.sync(D0 + timedelta(days=1, hours=5))

    versions = server_versions(pg, member)
    actives = {"A": affirmations.active(a.store).content, "B": affirmations.active(b.store).content,
               "server": active_text(versions)}
    assert actives == {"A": later, "B": later, "server": [later]}, "the text pushed last won, not the one saved last"
    assert Counter(content for _, content, _ in versions) == Counter({STARTER_AFFIRMATIONS: 1, earlier: 1, later: 1})
    assert [v for v, _, _ in versions] == list(range(1, len(versions) + 1))
    assert a.versions() == versions and b.versions() == versions


@pytest.mark.parametrize("first", ["theme_device_syncs_first", "times_device_syncs_first"])
def test_a_theme_changed_on_one_device_and_reminder_times_on_another_both_survive_everywhere(install, member, pg,
                                                                                               first):
    a, b = install("a", D0), install("b", D0)
    a.sync(D0 + timedelta(minutes=1))
    b.sync(D0 + timedelta(minutes=2))
    a.sync(D0 + timedelta(minutes=3))
    # offline: A changes the theme and the name, later B the reminder times and the email switch
    # (each device one field of the settings row and one of the profile row)
    profile.update_settings(a.store, D0 + timedelta(hours=1), theme="dark")
    profile.update_profile(a.store, D0 + timedelta(hours=1, minutes=1), display_name="Chris")
    profile.update_profile(b.store, D0 + timedelta(hours=2), morning_time="06:15", evening_time="21:30")
    profile.update_settings(b.store, D0 + timedelta(hours=2, minutes=1), email_reminders=True)

    one, other = (a, b) if first == "theme_device_syncs_first" else (b, a)
    one.sync(D0 + timedelta(hours=3))
    other.sync(D0 + timedelta(hours=3, minutes=1))
    one.sync(D0 + timedelta(hours=3, minutes=2))

    want_profile = {"display_name": "Chris", "timezone": ZONE, "day_start_hour": 3, "morning_time": "06:15",
                    "evening_time": "21:30", "leaderboard_opt_in": False}
    holders = {"server": server_profile(pg, member), "A": a.profile(), "B": b.profile()}
    assert holders == {"server": want_profile, "A": want_profile, "B": want_profile}, "a profile field was lost"
    holders = {"server": server_settings(pg, member), "A": a.settings(), "B": b.settings()}
    assert {k: (v["theme"], v["email_reminders"]) for k, v in holders.items()} == \
        {"server": ("dark", True), "A": ("dark", True), "B": ("dark", True)}, "a settings field was lost"
    assert holders["A"] == holders["B"] == holders["server"]
