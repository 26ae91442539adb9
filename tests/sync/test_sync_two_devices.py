"""Two devices of one member edit offline (mornings on one, evenings on the other, affirmation
versions, vision board tiles set, removed and moved — also into empty positions —, profile
fields and settings) and sync in random orders — sometimes dying between a push and its
acknowledgement — through the in-memory server model. In the end both hold the same data, and
for every half-day, tile position, profile field and setting the newest edit on either device
is the one kept: nothing lost, nothing doubled. A profile or settings edit counts only when it
changed the value on that device (a default is no edit); the active affirmations are the
version saved last by client clock, whichever device pushed last."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from chris_app.services import affirmations, day, profile, vision_board
from chris_app.services._rows import stamp as store_stamp
from chris_app.services.affirmations import STARTER_AFFIRMATIONS
from chris_app.sync.engine import SyncState
from chris_app.sync.outgoing import session_payload
from chris_app.sync.paths import image_object
from chris_app.sync.snapshot import snapshot
from sync_helpers import MORNING, USER, engine_for, open_device, record_morning
from fake_server import EVENING as EVENING_KEYS, MORNING as MORNING_KEYS, Crash, FakeServer, FakeTransport

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
DEVICE = st.sampled_from([0, 1])
ACTIONS = st.sampled_from(["Call the bank", "Run 10 km", "Ask for the raise", "Pitch the investor"])
CAPTIONS = st.sampled_from([None, "Cabin", "Boat", "Family"])
TEXTS = st.sampled_from(["I keep my word.", "I act before I feel ready.", "I finish what I start."])
# profile fields (local names) and their synced names, with a few values each
PROFILE_VALUES = {"display_name": ("display_name", ["", "Chris", "Chris D."]),
                  "morning_time": ("morning_protocol_time", ["05:30", "06:15", "07:00"]),
                  "leaderboard_opt_in": ("leaderboard_opt_in", [False, True])}
# compared per half-day (the server's halves); the version number is the server's to give
# (checked separately)
MORNING_FIELDS = tuple(k for k in MORNING_KEYS if k != "affirmations_version") + ("morning_updated_at",)
EVENING_FIELDS = EVENING_KEYS + ("evening_updated_at",)


class TwoDevices(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="chris-two-devices-"))
        self.server = FakeServer(USER, timezone="Europe/Berlin")
        self.paths = [self.dir / "a" / "chris.sqlite3", self.dir / "b" / "chris.sqlite3"]
        self.stores = [open_device(p) for p in self.paths]
        self.transports = [FakeTransport(self.server), FakeTransport(self.server)]
        self.engines = [engine_for(s, t) for s, t in zip(self.stores, self.transports)]
        self.minutes = 0
        self.latest: dict[tuple, tuple[str, object]] = {}  # what → (stamp, values) of the newest edit
        self.saved_texts: list[str] = []  # every affirmations version saved on either device

    def now(self):
        self.minutes += 7  # one shared clock: every edit has its own instant; days go by too
        return MORNING + timedelta(minutes=self.minutes)

    def keep(self, what: tuple, stamp: str, values) -> None:
        if what not in self.latest or stamp > self.latest[what][0]:
            self.latest[what] = (stamp, values)

    def remember_day(self, dev: int, date: str) -> None:
        store = self.stores[dev]
        row = store.query("select * from daily_sessions where date = ?", (date,))[0]
        rec = store.query("select * from recordings where id = ?", (row["recording_id"],))
        payload = session_payload(row, rec[0] if rec else None, USER)
        if row["morning_updated_at"]:
            self.keep(("morning", date), row["morning_updated_at"], {k: payload[k] for k in MORNING_FIELDS})
        if row["evening_updated_at"]:
            self.keep(("evening", date), row["evening_updated_at"], {k: payload[k] for k in EVENING_FIELDS})

    # -- edits, offline ---------------------------------------------------------------------
    @rule(dev=DEVICE, text=ACTIONS)
    def set_action(self, dev, text):
        self.remember_day(dev, day.set_action(self.stores[dev], self.now(), text).date.isoformat())

    @rule(dev=DEVICE, audio=st.binary(min_size=1, max_size=8))
    def record_reading(self, dev, audio):
        now = self.now()
        rec = record_morning(self.stores[dev], now, content=b"OggS" + audio + str(now).encode())
        self.remember_day(dev, rec.date.isoformat())

    @rule(dev=DEVICE)
    def look_at_the_board(self, dev):
        self.remember_day(dev, day.mark_vision_board_viewed(self.stores[dev], self.now()).date.isoformat())

    @rule(dev=DEVICE, rating=st.integers(1, 10), done=st.booleans(), win=st.sampled_from(["Shipped", "Rested"]))
    def review_the_evening(self, dev, rating, done, win):
        saved = day.save_evening(self.stores[dev], self.now(), action_completed=done, discipline_rating=rating,
                                 biggest_win=win)
        self.remember_day(dev, saved.date.isoformat())

    @rule(dev=DEVICE, text=TEXTS)
    def write_affirmations(self, dev, text):
        now = self.now()
        before = self.stores[dev].query("select count(*) from affirmations")[0][0]
        affirmations.save_new_version(self.stores[dev], now, text)
        if self.stores[dev].query("select count(*) from affirmations")[0][0] > before:  # the same text: none
            self.saved_texts.append(text)
            self.keep(("affirmations",), store_stamp(now), text)

    @rule(dev=DEVICE, position=st.integers(1, 3), caption=CAPTIONS)
    def put_a_tile(self, dev, position, caption):
        now = self.now()
        tile = vision_board.set_tile(self.stores[dev], now, position, PNG, caption)
        stamp = self.stores[dev].query("select updated_at from vision_board_tiles where id = ?", (tile.id,))[0][0]
        self.keep(("tile", position), stamp, (image_object(USER, str(tile.image_path)), caption))

    def move(self, dev: int, position: int, to: int) -> None:
        """A move is an edit of both positions: a swap rewrites both, a move into an empty
        position empties the one it left."""
        board = {t.position: t for t in vision_board.tiles(self.stores[dev])}
        now = self.now()
        vision_board.move_tile(self.stores[dev], now, position, to)
        moved, other = board[position], board.get(to)
        self.keep(("tile", to), store_stamp(now), (image_object(USER, str(moved.image_path)), moved.caption))
        self.keep(("tile", position), store_stamp(now),
                  (image_object(USER, str(other.image_path)), other.caption) if other else None)

    @rule(dev=DEVICE, pick=st.integers(0, 2), to=st.integers(1, 3))
    def move_a_tile(self, dev, pick, to):
        board = sorted(t.position for t in vision_board.tiles(self.stores[dev]))
        if board and board[pick % len(board)] != to:
            self.move(dev, board[pick % len(board)], to)

    @rule(dev=DEVICE, to=st.integers(1, 3), caption=CAPTIONS)
    def add_an_image_and_swap_it_with_the_first(self, dev, to, caption):
        """When the account has no row where the first tile lands, the id that tile brings is
        already the account's (at its old position): the server stores it under a new id."""
        board = sorted(t.position for t in vision_board.tiles(self.stores[dev]))
        if board and to not in board:
            self.put_a_tile(dev, to, caption)
            self.move(dev, board[0], to)

    @rule(dev=DEVICE, position=st.integers(1, 3))
    def remove_a_tile(self, dev, position):
        if position in [t.position for t in vision_board.tiles(self.stores[dev])]:
            now = self.now()
            vision_board.remove_tile(self.stores[dev], now, position)
            self.keep(("tile", position), self.stores[dev].query(
                "select max(created_at) from outbox where op = 'delete'")[0][0], None)

    def edited(self, dev: int, table: str, name: str) -> str | None:
        """The device's edit time of one profile/settings field (None: never edited there)."""
        return json.loads(self.stores[dev].query(f"select field_stamps from {table}")[0][0]).get(name)

    @rule(dev=DEVICE, theme=st.sampled_from(["light", "dark", "system"]))
    def choose_a_theme(self, dev, theme):
        changed = profile.get_settings(self.stores[dev]).theme != theme  # the same value is no edit
        before = self.edited(dev, "settings", "theme")
        profile.update_settings(self.stores[dev], self.now(), theme=theme)
        if changed:
            self.keep(("theme",), self.edited(dev, "settings", "theme"), theme)
        else:
            assert self.edited(dev, "settings", "theme") == before

    @rule(dev=DEVICE, field=st.sampled_from(sorted(PROFILE_VALUES)), pick=st.integers(0, 2))
    def edit_the_profile(self, dev, field, pick):
        values = PROFILE_VALUES[field][1]
        value = values[pick % len(values)]
        changed = getattr(profile.get_profile(self.stores[dev]), field) != value
        before = self.edited(dev, "profile", field)
        profile.update_profile(self.stores[dev], self.now(), **{field: value})
        if changed:
            self.keep(("profile", field), self.edited(dev, "profile", field), value)
        else:
            assert self.edited(dev, "profile", field) == before

    # -- syncing ----------------------------------------------------------------------------
    @rule(dev=DEVICE)
    def sync(self, dev):
        assert self.engines[dev].run().state is SyncState.SYNCED

    @rule(dev=DEVICE)
    def sync_and_die_before_the_answer(self, dev):
        self.transports[dev].crash_after_push = True
        try:
            self.engines[dev].run()
        except Crash:
            pass
        self.transports[dev].crash_after_push = False
        self.stores[dev].close()  # the app starts again on the same database file
        self.stores[dev] = open_device(self.paths[dev])
        self.engines[dev] = engine_for(self.stores[dev], self.transports[dev])

    def teardown(self) -> None:
        try:
            if not any(s.conn is None for s in self.stores):
                self.check_convergence()
        finally:
            for s in self.stores:
                s.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def check_convergence(self) -> None:
        for dev in (0, 1, 0):
            status = self.engines[dev].run()
            assert status.state is SyncState.SYNCED and status.rejections == (), status.rejections
        a, b = (snapshot(s.conn, USER) for s in self.stores)
        assert a == b, "the two devices differ after syncing"

        days = {d["date"]: d for d in a["daily_sessions"]}
        for (what, *key), (_, values) in self.latest.items():
            if what in ("morning", "evening"):
                kept = days[key[0]]
                assert {k: kept.get(k) for k in values} == values, f"the newest {what} of {key[0]} was lost"
        tiles = {t["position"]: (t["image_path"], t["caption"]) for t in a["vision_boards"]}
        for (what, *key), (_, values) in self.latest.items():
            if what == "tile":
                assert tiles.get(key[0]) == values, f"the newest edit of tile {key[0]} was lost"
        # settings and profile fields: the newest edit, or the account's value when no device
        # ever changed it (a device's default is no edit)
        assert a["user_settings"]["theme"] == self.latest.get(("theme",), (None, self.server.settings["theme"]))[1]
        assert self.server.settings["theme"] == a["user_settings"]["theme"]
        for field, (server_name, _) in PROFILE_VALUES.items():
            kept = getattr(profile.get_profile(self.stores[0]), field)
            assert kept == getattr(profile.get_profile(self.stores[1]), field)
            if ("profile", field) in self.latest:
                assert kept == self.latest[("profile", field)][1], f"the newest edit of {field} was lost"
            on_server = self.server.profile[server_name]
            assert (on_server[:5] if field == "morning_time" else on_server) == \
                ((kept or None) if field == "display_name" else kept)
        # the account starts when the devices' history starts (both installed that morning)
        assert {str(profile.get_profile(s).first_day) for s in self.stores} == {self.server.profile["first_day"]} \
            == {"2026-06-10"}

        # affirmations: every saved version once (the install's starter text once: both
        # devices' copies are the same default), numbered 1..n, the latest saved active
        contents = [x["content"] for x in a["affirmations"]]
        assert Counter(contents) == Counter([STARTER_AFFIRMATIONS, *self.saved_texts]), \
            "an affirmations version was lost or doubled"
        assert [x["version"] for x in a["affirmations"]] == list(range(1, len(contents) + 1))
        [active] = [x["content"] for x in a["affirmations"] if x["is_active"]]
        assert active == self.latest.get(("affirmations",), (None, STARTER_AFFIRMATIONS))[1], \
            "the active affirmations are not the ones saved last"
        assert len(self.server.sessions) == len(days)


TwoDevices.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
test_two_devices_editing_offline_and_syncing_in_any_order_converge_and_lose_nothing = TwoDevices.TestCase
