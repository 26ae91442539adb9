"""Two or three devices of one member, synced through the REAL `public.sync_push` /
`public.sync_pull` on the throwaway PostgreSQL cluster (tests/sync/test_sync_two_devices.py
does the same against the in-memory fake, which hid real bugs: issue 12).

Hypothesis drives the devices: days (a reading, the action, the board looked at, the evening
review), vision board tiles (set, caption, remove, move — also into empty positions),
affirmation versions (save, restore), profile and settings fields (synced and device-only),
and syncs — sometimes dying after the server committed a push and before the answer arrived,
then starting again on the same database file. A third device may be installed late (a later
clock) and only then sync. One shared clock moves forward for every edit; days go by too.

At the end every device syncs, round after round, until a whole round pushes nothing. Then:
- every device holds the same (sync.snapshot), and nothing was refused;
- per half-day, tile position, profile field and synced settings field, the newest edit (by
  the editing device's clock) is what every device and the server hold; install defaults
  never count as edits; device-only settings stay on their device;
- affirmations: no saved version lost or doubled (by content and count; ids are the
  server's), numbered 1..n, the same on every device and the server, exactly one active: the
  text saved last; the install's starter text is there once (a device that replaced it before
  its first sync may bring its own copy: the rules do not say);
- first_day is the earliest of the sign-up day and every device's own, everywhere; the
  statistics of every device equal the server's for the same today.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from chris_app.domain.stats import compute_stats
from chris_app.services import affirmations, day, profile, vision_board
from chris_app.services.affirmations import STARTER_AFFIRMATIONS
from chris_app.services.profile import ensure_profile, get_profile, get_settings
from chris_app.services.recordings import get_recording, save_day_recording
from chris_app.services.summary import day_records
from chris_app.store import open_store
from chris_app.sync.engine import SyncEngine, SyncState
from chris_app.sync.paths import image_object
from chris_app.sync.snapshot import snapshot
from sql_sync import Crash, SqlTransport, sign_up

pytestmark = pytest.mark.db

ZONE = "Europe/Berlin"
START = datetime(2026, 6, 10, 3, 30, tzinfo=timezone.utc)  # 05:30 in Berlin: a morning
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
MAX_DEVICES = 3
SETTLE_ROUNDS = 5

DEVICE = st.integers(0, MAX_DEVICES - 1)  # taken modulo the devices installed so far
POSITION = st.integers(1, 3)
PICK = st.integers(0, 5)
ACTIONS = st.sampled_from(["Call the bank", "Run 10 km", "Ask for the raise", "Pitch the investor"])
CAPTIONS = st.sampled_from([None, "Cabin", "Boat", "Family"])
TEXTS = st.sampled_from(["I keep my word.", "I act before I feel ready.", "I finish what I start."])

# Every edit changes the value (a choice is taken among the values other than the current one):
# whether setting a field to the value it already has is an edit is not the question here.
PROFILE_CHOICES = {
    "display_name": ["", "Chris", "Chris D."],
    "timezone": ["Europe/Berlin", "Europe/Lisbon", "America/New_York"],
    "day_start_hour": [3, 4, 5],
    "morning_time": ["05:30", "06:15", "07:00"],
    "evening_time": ["20:00", "21:30", "22:00"],
    "leaderboard_opt_in": [False, True],
}
SETTINGS_CHOICES = {
    "push_notifications": [True, False],
    "email_reminders": [False, True],
    "sound_enabled": [True, False],
    "auto_play_recording": [False, True],
    "theme": ["system", "light", "dark"],
}
DEVICE_ONLY_CHOICES = {
    "min_recording_seconds": [20, 10, 30],
    "max_recording_minutes": [15, 5, 30],
    "input_device": [None, "USB microphone"],
}
PROFILE_FIELDS = tuple(PROFILE_CHOICES)
SYNCED_SETTINGS = tuple(SETTINGS_CHOICES)


# ---------------------------------------------------------------------------------------------
# The server, as PostgREST would call it
# ---------------------------------------------------------------------------------------------
class Device:
    """One install: its SQLite store (made by ensure_profile at install, as the app does on
    first start), its connection to the server, its engine (clock = the test's clock, no
    waiting between retries)."""

    def __init__(self, path: Path, pg, uid: str, clock, installed_at: datetime) -> None:
        self.path, self.uid, self.clock = path, uid, clock
        self.transport = SqlTransport(pg, uid)
        self.store = None
        self.start(installed_at)
        self.installed_first_day = get_profile(self.store).first_day
        self.synced = False  # has it tried to sync yet?
        self.saved_before_first_sync = False  # did the member replace the starter text before?
        self.device_only = {f: getattr(get_settings(self.store), f) for f in DEVICE_ONLY_CHOICES}

    def start(self, now: datetime) -> None:
        """The app starts (again) on the same database file."""
        if self.store is not None:
            self.store.close()
        self.store = open_store(self.path)
        ensure_profile(self.store, now, ZONE)  # idempotent, as at every start
        self.engine = SyncEngine(self.store, self.transport, self.uid, sleep=lambda s: None, rand=lambda: 0.5,
                                 clock=self.clock)

    def sync(self) -> None:
        self.synced = True
        status = self.engine.run()
        assert status.state is SyncState.SYNCED, f"a sync run ended {status.state}: {status.message}"

    # what the member sees on this device
    def profile(self) -> dict:
        p = get_profile(self.store)
        return {f: getattr(p, f) for f in PROFILE_FIELDS}

    def settings(self) -> dict:
        s = get_settings(self.store)
        return {f: getattr(s, f) for f in SYNCED_SETTINGS}

    def versions(self) -> list[tuple[int, str, bool]]:
        return [(a.version, a.content, a.is_active) for a in reversed(affirmations.history(self.store))]

    def tiles(self) -> dict[int, tuple[str, str | None]]:
        return {t.position: (image_object(self.uid, str(t.image_path)), t.caption)
                for t in vision_board.tiles(self.store)}

    def halves(self, date_: date) -> dict[str, tuple]:
        s = day.get_day(self.store, date_)
        rec = get_recording(self.store, s.recording_id) if s.recording_id else None
        return {"morning": (s.morning_completed, rec.sha256 if rec else None, rec.duration_ms if rec else None,
                            s.vision_board_viewed, s.violent_action, s.violent_action_id),
                "evening": (s.action_completed, s.evening_completed, s.discipline_rating, s.biggest_win)}

    def stamps(self, date_: date) -> tuple[str | None, str | None]:
        """The day's half stamps (each half is last-writer-wins on its own)."""
        rows = self.store.query("select morning_updated_at, evening_updated_at from daily_sessions where date = ?",
                                (date_.isoformat(),))
        return tuple(rows[0]) if rows else (None, None)

    def close(self) -> None:
        self.store.close()
        self.transport.close()


def record_morning(store, now: datetime, content: bytes):
    """Save a day's reading the way the recorder does (a finished file moved into place)."""
    source = store.files_dir / f"incoming-{now.timestamp()}.ogg"
    source.write_bytes(content)
    return save_day_recording(store, now, source, mime="audio/ogg", duration_ms=30_000, sample_rate=48000)


class Devices(RuleBasedStateMachine):
    def __init__(self, pg) -> None:
        super().__init__()
        self.pg = pg
        self.busy = False  # a rule raised: the example failed, teardown only cleans up
        self.admin = pg.connect(autocommit=True)  # superuser: every table, the private functions
        self.uid = sign_up(self.admin, "sync-model", ZONE)
        [(self.signed_up,)] = self.server("select first_day from public.profiles where id = %(uid)s")
        self.dir = Path(tempfile.mkdtemp(prefix="chris-sync-model-"))
        self.t = START
        self.devices: list[Device] = []
        # what → the newest edit's value; the clock only moves forward, so the last edit is the newest
        self.latest: dict[tuple, object] = {}
        self.saved: list[str] = []  # contents of every affirmations version the member saved, in order
        self.install()
        self.install()

    # -- helpers ----------------------------------------------------------------------------
    def now(self) -> datetime:
        self.t += timedelta(minutes=7)  # one shared clock: every edit has its own instant
        return self.t

    def install(self) -> None:
        n = len(self.devices)
        self.devices.append(Device(self.dir / f"device-{n}" / "chris.sqlite3", self.pg, self.uid,
                                   lambda: self.t, self.now()))

    def device(self, dev: int) -> Device:
        return self.devices[dev % len(self.devices)]

    def boards(self) -> list[tuple[Device, dict]]:
        """The devices whose board has tiles, with their tiles."""
        return [(d, tiles) for d in self.devices if (tiles := d.tiles())]

    def a_board(self, dev: int) -> tuple[Device, dict]:
        boards = self.boards()
        return boards[dev % len(boards)]

    def edit_day(self, d: Device, edit) -> None:
        """Run a day edit; each half whose stamp moved was edited now, with the values it shows."""
        now = self.now()
        today = profile.today(d.store, now)
        before = d.stamps(today)
        done = edit(now)
        assert done.date == today
        after, values = d.stamps(today), d.halves(today)
        for half, old, new in zip(("morning", "evening"), before, after):
            if new != old:
                self.latest[(half, today)] = values[half]

    def saved_version(self, d: Device, save) -> None:
        count = len(affirmations.history(d.store))
        save(self.now())
        if len(affirmations.history(d.store)) > count:
            self.saved.append(affirmations.active(d.store).content)
            if not d.synced:
                d.saved_before_first_sync = True

    # -- devices and time -------------------------------------------------------------------
    @precondition(lambda self: len(self.devices) < MAX_DEVICES)
    @rule()
    def install_another_device(self):
        self.busy = True
        self.install()
        self.busy = False

    @rule(days=st.integers(1, 2))
    def let_days_pass(self, days):
        self.t += timedelta(days=days)

    # -- days -------------------------------------------------------------------------------
    @rule(dev=DEVICE, audio=st.binary(min_size=1, max_size=8))
    def record_a_reading(self, dev, audio):
        self.busy = True
        d = self.device(dev)
        self.edit_day(d, lambda now: record_morning(d.store, now, b"OggS" + audio + str(now).encode()))
        self.busy = False

    @rule(dev=DEVICE, text=ACTIONS)
    def set_the_action(self, dev, text):
        self.busy = True
        d = self.device(dev)
        self.edit_day(d, lambda now: day.set_action(d.store, now, text))
        self.busy = False

    @rule(dev=DEVICE)
    def look_at_the_board(self, dev):
        self.busy = True
        d = self.device(dev)
        self.edit_day(d, lambda now: day.mark_vision_board_viewed(d.store, now))
        self.busy = False

    @rule(dev=DEVICE, rating=st.integers(1, 10), done=st.booleans(), win=st.sampled_from(["Shipped", "Rested"]))
    def review_the_evening(self, dev, rating, done, win):
        self.busy = True
        d = self.device(dev)
        self.edit_day(d, lambda now: day.save_evening(d.store, now, action_completed=done, discipline_rating=rating,
                                                      biggest_win=win))
        self.busy = False

    # -- the vision board -------------------------------------------------------------------
    @rule(dev=DEVICE, position=POSITION, caption=CAPTIONS)
    def put_a_tile(self, dev, position, caption):
        self.busy = True
        d = self.device(dev)
        tile = vision_board.set_tile(d.store, self.now(), position, PNG, caption)
        self.latest[("tile", position)] = (image_object(self.uid, str(tile.image_path)), caption)
        self.busy = False

    @precondition(lambda self: self.boards())
    @rule(dev=DEVICE, pick=PICK, caption=CAPTIONS)
    def caption_a_tile(self, dev, pick, caption):
        self.busy = True
        d, tiles = self.a_board(dev)
        position = sorted(tiles)[pick % len(tiles)]
        vision_board.set_caption(d.store, self.now(), position, caption)
        self.latest[("tile", position)] = (tiles[position][0], caption)
        self.busy = False

    @precondition(lambda self: self.boards())
    @rule(dev=DEVICE, pick=PICK)
    def remove_a_tile(self, dev, pick):
        self.busy = True
        d, tiles = self.a_board(dev)
        position = sorted(tiles)[pick % len(tiles)]
        vision_board.remove_tile(d.store, self.now(), position)
        self.latest[("tile", position)] = None
        self.busy = False

    @precondition(lambda self: self.boards())
    @rule(dev=DEVICE, pick=PICK, to=POSITION)
    def move_a_tile(self, dev, pick, to):
        self.busy = True
        d, tiles = self.a_board(dev)
        others = sorted(p for p in tiles if p != to)
        if others:
            position = others[pick % len(others)]
            vision_board.move_tile(d.store, self.now(), position, to)  # a swap, or into an empty position
            self.latest[("tile", to)] = tiles[position]
            self.latest[("tile", position)] = tiles.get(to)
            moved = {**tiles, to: tiles[position], position: tiles.get(to)}
            assert d.tiles() == {p: v for p, v in moved.items() if v}
        self.busy = False

    # -- affirmations -----------------------------------------------------------------------
    @rule(dev=DEVICE, text=TEXTS)
    def write_affirmations(self, dev, text):
        self.busy = True
        d = self.device(dev)
        self.saved_version(d, lambda now: affirmations.save_new_version(d.store, now, text))
        self.busy = False

    @rule(dev=DEVICE, pick=PICK)
    def restore_affirmations(self, dev, pick):
        self.busy = True
        d = self.device(dev)
        versions = [a.version for a in affirmations.history(d.store)]
        version = versions[pick % len(versions)]
        self.saved_version(d, lambda now: affirmations.restore(d.store, now, version))
        self.busy = False

    # -- profile and settings ---------------------------------------------------------------
    @rule(dev=DEVICE, field=st.sampled_from(PROFILE_FIELDS), pick=PICK)
    def edit_the_profile(self, dev, field, pick):
        self.busy = True
        d = self.device(dev)
        options = [v for v in PROFILE_CHOICES[field] if v != d.profile()[field]]
        value = options[pick % len(options)]
        profile.update_profile(d.store, self.now(), **{field: value})
        self.latest[("profile", field)] = value
        self.busy = False

    @rule(dev=DEVICE, field=st.sampled_from(SYNCED_SETTINGS), pick=PICK)
    def edit_a_setting(self, dev, field, pick):
        self.busy = True
        d = self.device(dev)
        options = [v for v in SETTINGS_CHOICES[field] if v != d.settings()[field]]
        value = options[pick % len(options)]
        profile.update_settings(d.store, self.now(), **{field: value})
        self.latest[("settings", field)] = value
        self.busy = False

    @rule(dev=DEVICE, field=st.sampled_from(tuple(DEVICE_ONLY_CHOICES)), pick=PICK)
    def edit_a_device_only_setting(self, dev, field, pick):
        self.busy = True
        d = self.device(dev)
        options = [v for v in DEVICE_ONLY_CHOICES[field] if v != d.device_only[field]]
        value = options[pick % len(options)]
        profile.update_settings(d.store, self.now(), **{field: value})
        d.device_only[field] = value
        self.busy = False

    # -- syncing ----------------------------------------------------------------------------
    @rule(dev=DEVICE)
    def sync(self, dev):
        self.busy = True
        self.device(dev).sync()
        self.busy = False

    @rule(order=st.permutations(range(MAX_DEVICES)))
    def sync_every_device(self, order):
        self.busy = True
        for i in order:
            if i < len(self.devices):
                self.devices[i].sync()
        self.busy = False

    @rule(dev=DEVICE)
    def sync_and_die_before_the_answer(self, dev):
        self.busy = True
        d = self.device(dev)
        d.transport.crash_after_push = True
        d.synced = True
        try:
            d.engine.run()
        except Crash:
            pass
        d.transport.crash_after_push = False  # nothing was pushed: nothing to die after
        d.start(self.t)  # the app starts again on the same database file
        self.busy = False

    # -- the end ----------------------------------------------------------------------------
    def teardown(self) -> None:
        try:
            if not self.busy:
                self.settle()
                self.check()
        finally:
            for d in self.devices:
                d.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            self.admin.execute("select public.delete_member(%s)", (self.uid,))
            self.admin.close()

    def settle(self) -> None:
        """Sync every device, round after round, until a whole round pushes nothing: then
        every device has pulled after the last push."""
        for _ in range(SETTLE_ROUNDS):
            pushes = sum(len(d.transport.results) for d in self.devices)
            for d in self.devices:
                d.sync()
            if sum(len(d.transport.results) for d in self.devices) == pushes:
                return
        raise AssertionError(f"the devices still pushed after {SETTLE_ROUNDS} rounds of syncing everyone")

    def server(self, sql: str, **params) -> list[tuple]:
        return [tuple(r) for r in self.admin.execute(sql, {"uid": self.uid, **params}).fetchall()]

    def check(self) -> None:
        devices, uid = self.devices, self.uid
        for i, d in enumerate(devices):
            assert [(r.entity, r.code, r.reason) for r in d.engine.status().rejections] == [], \
                f"device {i}: something was refused or could not be stored"
        snaps = [snapshot(d.store.conn, uid) for d in devices]
        for i, snap in enumerate(snaps[1:], 1):
            assert snap == snaps[0], f"device {i} differs from device 0 after syncing"

        # days: per half, the newest edit everywhere
        rows = self.server(
            "select date, morning_completed, recording_sha256, recording_duration_ms, vision_board_viewed,"
            " violent_action, violent_action_id::text, action_completed, evening_completed, discipline_rating,"
            " biggest_win from public.daily_sessions where user_id = %(uid)s")
        on_server = {r[0]: {"morning": r[1:7], "evening": r[7:]} for r in rows}
        dates = sorted(r.date for r in day_records(devices[0].store))
        assert sorted(on_server) == dates, "the server's days are not the devices' days"
        for (what, *key), value in self.latest.items():
            if what in ("morning", "evening"):
                for i, d in enumerate(devices):
                    assert d.halves(key[0])[what] == value, f"device {i}: the newest {what} of {key[0]} was lost"
                assert on_server[key[0]][what] == value, f"server: the newest {what} of {key[0]} was lost"

        # tiles: per position, the newest edit everywhere (compared by image object and caption)
        want = {p: self.latest[("tile", p)] for p in range(1, 4) if self.latest.get(("tile", p))}
        on_server = {r[0]: (r[1], r[2]) for r in self.server(
            "select position, image_path, caption from public.vision_boards"
            " where user_id = %(uid)s and deleted_at is null")}
        for i, d in enumerate(devices):
            assert d.tiles() == want, f"device {i}: the board is not the newest edit of each position"
        assert on_server == want, "server: the board is not the newest edit of each position"

        # profile and synced settings: per field, the newest edit; the same everywhere anyway
        [row] = self.server(
            "select coalesce(display_name, ''), timezone, day_start, to_char(morning_protocol_time, 'HH24:MI'),"
            " to_char(evening_review_time, 'HH24:MI'), leaderboard_opt_in from public.profiles where id = %(uid)s")
        [srow] = self.server("select push_notifications, email_reminders, sound_enabled, auto_play_recording, theme"
                             " from public.user_settings where id = %(uid)s")
        for kind, server_values, shown in (("profile", dict(zip(PROFILE_FIELDS, row)), Device.profile),
                                           ("settings", dict(zip(SYNCED_SETTINGS, srow)), Device.settings)):
            holders = {"server": server_values, **{f"device {i}": shown(d) for i, d in enumerate(devices)}}
            for field in server_values:
                values = {who: v[field] for who, v in holders.items()}
                if (kind, field) in self.latest:
                    newest = self.latest[(kind, field)]
                    assert values == dict.fromkeys(values, newest), f"the newest edit of {kind} {field} was lost"
                else:
                    assert len(set(values.values())) == 1, f"{kind} {field} (never edited) differs: {values}"
        for i, d in enumerate(devices):
            s = get_settings(d.store)
            assert {f: getattr(s, f) for f in DEVICE_ONLY_CHOICES} == d.device_only, \
                f"device {i}: a device-only setting changed"

        # affirmations
        versions = self.server("select version, content, is_active from public.affirmations"
                               " where user_id = %(uid)s order by version")
        for i, d in enumerate(devices):
            assert d.versions() == versions, f"device {i}: the affirmation versions differ from the server's"
        assert [v for v, _, _ in versions] == list(range(1, len(versions) + 1)), "versions are not 1..n"
        assert [c for _, c, active in versions if active] == [self.saved[-1] if self.saved else STARTER_AFFIRMATIONS], \
            "the active version is not the one saved last"
        got, saved = Counter(c for _, c, _ in versions), Counter(self.saved)
        starters = got.pop(STARTER_AFFIRMATIONS, 0) - saved.pop(STARTER_AFFIRMATIONS, 0)
        assert got == saved, "a saved affirmations version was lost or doubled"
        may_bring_own = sum(d.saved_before_first_sync for d in devices)
        assert 1 <= starters <= 1 + may_bring_own, f"the install's starter text is there {starters} times"

        # first_day and the statistics
        earliest = min(self.signed_up, *(d.installed_first_day for d in devices))
        [(on_server,)] = self.server("select first_day from public.profiles where id = %(uid)s")
        first_days = {"server": on_server, **{f"device {i}": get_profile(d.store).first_day
                                              for i, d in enumerate(devices)}}
        assert first_days == dict.fromkeys(first_days, earliest), "first_day is not the account's earliest day"
        today = profile.today(devices[0].store, self.t)
        [figures] = self.server("select current_streak, longest_streak, total_days_completed, completion_rate,"
                                " average_discipline_rating, discipline_score"
                                " from private.compute_stats(%(uid)s::uuid, %(today)s::date)", today=today)
        for i, d in enumerate(devices):
            s = compute_stats(day_records(d.store), get_profile(d.store).first_day, today)
            assert (s.current_streak, s.longest_streak, s.total_days_completed, s.completion_rate,
                    s.average_rating, s.score) == figures, f"device {i}: statistics differ from the server's"


# 25-60 s here (2 cores, other suites running: load 5-9). A failing run shrinks for up to Hypothesis's
# five minutes (one bug at a time), hence the longer timeout.
@pytest.mark.timeout(600)
def test_devices_editing_offline_and_syncing_through_the_real_server_converge_and_lose_nothing(pg):
    run_state_machine_as_test(lambda: Devices(pg), settings=settings(
        max_examples=25, stateful_step_count=30, deadline=None, report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow]))
