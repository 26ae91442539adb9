"""Limits in one place (issue 12): at every boundary of chris_app.domain.limits the app's input
models, the real server and the device's SQLite store agree.

For each limited field the values just inside and just outside each limit go through
  (a) the app: chris_app.models.parse (InvalidInput = refused; the model's value is what the
      app keeps and sends),
  (b) the server, as the signed-in member makes the request (role `authenticated` + JWT
      claims, as PostgREST does it): sync_push for days, tiles and affirmations — the row is
      applied or comes back in `rejected` with SQLSTATE 23514 — and a direct update for the
      profile and settings fields,
  (c) the device's store (a fresh one, as the app makes it): every value the server accepted
      is written as a pull would write it, and must be kept.
Text is probed with an ASCII and an astral (4-byte UTF-8, 2 UTF-16 units) character: every
side counts characters. The expected outcomes come from limits.py alone.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest

from chris_app.domain import limits
from chris_app.errors import InvalidInput
from chris_app.models import (ActionInput, AffirmationsInput, EveningInput, ProfileInput, SettingsInput,
                              TileInput, parse)

pytestmark = pytest.mark.db

NOW = datetime.now(timezone.utc)
STAMP = NOW.isoformat()
DAY = (NOW - timedelta(days=1)).date().isoformat()  # a protocol day the server takes
FILLERS = {"ascii": "x", "astral": "\N{FLEXED BICEPS}"}
PAD = "  "  # spaces: what both the server (btrim) and the device's store (trim) trim


# ---------------------------------------------------------------------------------------------
# The server, as the member's requests
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    accepted: bool
    stored: Any = None  # the value the server holds afterwards (what a pull brings)
    code: str | None = None
    reason: str = ""


class Server:
    """One connection as the member; every probe is its own transaction and is rolled back,
    so each starts from the same server state."""

    def __init__(self, conn: psycopg.Connection, uid: str) -> None:
        self.conn, self.uid = conn, uid
        self.client_id = str(uuid.uuid4())
        self.op_id = 0

    def push(self, table: str, row: dict, column: str) -> Outcome:
        """sync_push of one row; the stored value of `column` read back by the row's id."""
        self.op_id += 1
        try:
            result = self.conn.execute("select public.sync_push(%s::jsonb, %s::uuid, %s)",
                                       (json.dumps({table: [row]}), self.client_id, self.op_id)).fetchone()[0]
            if result["rejected"]:
                [rejected] = result["rejected"]
                return Outcome(False, code=rejected["code"], reason=rejected["reason"])
            assert result["applied"] == 1, result
            found = self.conn.execute(f"select {column} from public.{table} where id = %s", (row["id"],)).fetchone()
            assert found is not None, f"sync_push applied {row['id']} but it is not in {table}"
            return Outcome(True, stored=found[0])
        finally:
            self.conn.rollback()

    def update(self, table: str, column: str, value: Any) -> Outcome:
        """A direct update of the member's own profile / settings row."""
        try:
            cur = self.conn.execute(f"update public.{table} set {column} = %s where id = auth.uid()", (value,))
            assert cur.rowcount == 1, f"the member's {table} row was not updated"
            stored = self.conn.execute(f"select {column} from public.{table} where id = auth.uid()").fetchone()[0]
            return Outcome(True, stored=stored)
        except psycopg.errors.CheckViolation as exc:
            return Outcome(False, code=exc.sqlstate, reason=str(exc))
        finally:
            self.conn.rollback()


@pytest.fixture
def member(pg):
    with pg.connect(autocommit=True) as admin:
        uid = admin.execute("select tests.create_supabase_user(%s)", (f"limits-{uuid.uuid4()}",)).fetchone()[0]
        try:
            yield str(uid)
        finally:
            admin.execute("select public.delete_member(%s)", (uid,))


@pytest.fixture
def server(pg, member):
    conn = pg.connect()
    try:
        conn.execute("select set_config('role', 'authenticated', false),"
                     " set_config('request.jwt.claims', %s, false)",
                     (json.dumps({"sub": member, "role": "authenticated"}),))
        conn.commit()
        yield Server(conn, member)
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# The device's store
# ---------------------------------------------------------------------------------------------
class _Undo(Exception):
    pass


def device_write(store, sql: str, params: tuple) -> None:
    """One write into the store as a pull makes it, rolled back afterwards; raises
    sqlite3.IntegrityError when the store's schema refuses it."""
    try:
        with store.transaction() as conn:
            conn.execute(sql, params)
            raise _Undo
    except _Undo:
        pass


def _new_id() -> str:
    return str(uuid.uuid4())


# ---------------------------------------------------------------------------------------------
# The limited fields, each on the three sides
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limited:
    name: str
    constraint: str  # the server's check constraint, named in its refusal
    app: Callable[[Any], Any]  # the value the app keeps; raises InvalidInput when refused
    server: Callable[[Server, Any], Outcome]
    device: Callable[[Any, Any], None]  # (store, value the server holds)
    low: int | None = None  # the text's trimmed minimum / the range's lowest value
    high: int | None = None  # the text's maximum / the range's highest value
    choices: tuple = ()  # for an enumeration

    def probes(self, filler: str | None) -> list[tuple[Any, bool]]:
        """(value, whether limits.py admits it) just inside and just outside each limit."""
        if self.choices:
            refused = (self.choices[0].upper(), "-".join(self.choices))
            return [(c, True) for c in self.choices] + [(r, False) for r in refused]
        if filler is None:
            return [(self.low - 1, False), (self.low, True), (self.high, True), (self.high + 1, False)]
        out = [(filler * self.high, True), (filler * (self.high + 1), False)]
        if self.low is not None:
            out = [(filler * (self.low - 1), False), (filler * self.low, True), *out]
        return out


def _profile(**fields):
    base = {"display_name": "", "timezone": "UTC", "day_start_hour": limits.DAY_START_MIN,
            "morning_time": "05:30", "evening_time": "20:00"}
    return parse(ProfileInput, **{**base, **fields})


def _session(server: Server, group: str, **fields) -> Outcome:
    column = next(iter(fields))
    return server.push("daily_sessions", {"id": _new_id(), "date": DAY, **fields, f"{group}_updated_at": STAMP},
                       column)


def _tile(server: Server, position: int, caption: str | None, column: str) -> Outcome:
    return server.push("vision_boards", {"id": _new_id(), "position": position,
                                         "image_path": f"{server.uid}/x.png", "caption": caption,
                                         "deleted_at": None, "client_updated_at": STAMP}, column)


def _device_session(store, column: str, value) -> None:
    device_write(store, f"insert into daily_sessions (id, date, {column}, created_at, updated_at)"
                        " values (?, ?, ?, ?, ?)", (_new_id(), DAY, value, STAMP, STAMP))


def _device_tile(store, position: int, caption: str | None) -> None:
    device_write(store, "insert into vision_board_tiles (id, position, image_path, caption, created_at, updated_at)"
                        " values (?, ?, 'x.png', ?, ?, ?)", (_new_id(), position, caption, STAMP, STAMP))


TEXTS = [
    Limited(
        "display_name", "profiles_display_name_check",
        app=lambda v: _profile(display_name=v).display_name,
        server=lambda s, v: s.update("profiles", "display_name", v),
        device=lambda store, v: device_write(store, "update profile set display_name = ? where id = 1", (v,)),
        high=limits.DISPLAY_NAME_MAX,  # no minimum in the app: blank is "no name", sent as null (below)
    ),
    Limited(
        "affirmations", "affirmations_content_check",
        app=lambda v: parse(AffirmationsInput, content=v).content,
        server=lambda s, v: s.push("affirmations", {"id": _new_id(), "content": v, "is_active": True,
                                                    "client_updated_at": STAMP}, "content"),
        device=lambda store, v: device_write(
            store, "insert into affirmations (id, version, content, is_active, created_at, updated_at)"
                   " values (?, (select coalesce(max(version), 0) + 1 from affirmations), ?, 0, ?, ?)",
            (_new_id(), v, STAMP, STAMP)),
        low=limits.AFFIRMATIONS_MIN, high=limits.AFFIRMATIONS_MAX,
    ),
    Limited(
        "caption", "vision_boards_caption_check",
        app=lambda v: parse(TileInput, position=limits.POSITION_MIN, caption=v).caption,
        server=lambda s, v: _tile(s, limits.POSITION_MIN, v, "caption"),
        device=lambda store, v: _device_tile(store, limits.POSITION_MIN, v),
        high=limits.CAPTION_MAX,
    ),
    Limited(
        "violent_action", "daily_sessions_violent_action_check",
        app=lambda v: parse(ActionInput, text=v).text,
        server=lambda s, v: _session(s, "morning", violent_action=v),
        device=lambda store, v: _device_session(store, "violent_action", v),
        low=limits.ACTION_MIN, high=limits.ACTION_MAX,
    ),
    Limited(
        "biggest_win", "daily_sessions_biggest_win_check",
        app=lambda v: parse(EveningInput, action_completed=True, discipline_rating=limits.RATING_MAX,
                            biggest_win=v).biggest_win,
        server=lambda s, v: _session(s, "evening", biggest_win=v),
        device=lambda store, v: _device_session(store, "biggest_win", v),
        high=limits.BIGGEST_WIN_MAX,  # blank is "no win": see below
    ),
]

RANGES = [
    Limited(
        "discipline_rating", "daily_sessions_discipline_rating_check",
        app=lambda v: parse(EveningInput, action_completed=True, discipline_rating=v,
                            biggest_win="x").discipline_rating,
        server=lambda s, v: _session(s, "evening", discipline_rating=v),
        device=lambda store, v: _device_session(store, "discipline_rating", v),
        low=limits.RATING_MIN, high=limits.RATING_MAX,
    ),
    Limited(
        "day_start", "profiles_day_start_check",
        app=lambda v: _profile(day_start_hour=v).day_start_hour,
        server=lambda s, v: s.update("profiles", "day_start", v),
        device=lambda store, v: device_write(store, "update profile set day_start_hour = ? where id = 1", (v,)),
        low=limits.DAY_START_MIN, high=limits.DAY_START_MAX,
    ),
    Limited(
        "position", "vision_boards_position_check",
        app=lambda v: parse(TileInput, position=v).position,
        server=lambda s, v: _tile(s, v, None, "position"),
        device=lambda store, v: _device_tile(store, v, None),
        low=limits.POSITION_MIN, high=limits.POSITION_MAX,
    ),
    Limited(
        "theme", "user_settings_theme_check",
        app=lambda v: parse(SettingsInput, theme=v).theme,
        server=lambda s, v: s.update("user_settings", "theme", v),
        device=lambda store, v: device_write(store, "update settings set theme = ? where id = 1", (v,)),
        choices=limits.THEMES,
    ),
]

CASES = [pytest.param(f, c, id=f"{f.name}-{n}") for f in TEXTS for n, c in FILLERS.items()] + \
        [pytest.param(f, None, id=f.name) for f in RANGES]


def app_accepts(field: Limited, value) -> bool:
    try:
        kept = field.app(value)
    except InvalidInput:
        return False
    assert kept == value, f"the app kept {field.name} {kept!r} for {value!r}"
    return True


def describe(value) -> str:
    return f"{len(value)} × {value[:1]!r}" if isinstance(value, str) and len(value) > 12 else repr(value)


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("field, filler", CASES)
def test_the_app_and_the_server_accept_and_refuse_the_same_values_at_each_limit(field, filler, server):
    for value, admitted in field.probes(filler):
        assert app_accepts(field, value) is admitted, \
            f"the app {'refuses' if admitted else 'accepts'} {field.name} = {describe(value)}"
        outcome = field.server(server, value)
        assert outcome.accepted is admitted, \
            f"the server {'refuses' if admitted else 'accepts'} {field.name} = {describe(value)}: {outcome.reason}"
        if admitted:
            assert outcome.stored == value, f"the server changed {field.name} = {describe(value)}"
        else:
            assert (outcome.code, field.constraint in outcome.reason) == ("23514", True), outcome


@pytest.mark.parametrize("field, filler", CASES)
def test_the_device_store_keeps_every_value_the_server_accepts_at_each_limit(field, filler, server, store):
    kept = 0
    for value, _ in field.probes(filler):
        outcome = field.server(server, value)
        if not outcome.accepted:
            continue
        try:
            field.device(store, outcome.stored)
        except sqlite3.IntegrityError as exc:
            pytest.fail(f"the device's store refuses {field.name} = {describe(outcome.stored)},"
                        f" which the server holds: {exc}")
        kept += 1
    assert kept >= 1, f"the server accepted no {field.name} probe at all"


@pytest.mark.parametrize("field", [f for f in TEXTS if f.name in ("violent_action", "affirmations")],
                         ids=lambda f: f.name)
def test_a_minimum_counts_the_characters_left_after_trimming_on_both_sides(field, server):
    padded_short = PAD + "x" * (field.low - 1) + PAD
    assert not app_accepts(field, padded_short)
    outcome = field.server(server, padded_short)
    assert (outcome.accepted, outcome.code) == (False, "23514"), outcome


@pytest.mark.parametrize("field", TEXTS, ids=lambda f: f.name)
def test_padded_text_at_the_maximum_is_sent_trimmed_and_the_server_and_the_device_keep_it(field, server, store):
    kept = field.app(PAD + "x" * field.high + PAD)
    assert kept == "x" * field.high
    outcome = field.server(server, kept)
    assert outcome.accepted and outcome.stored == kept, outcome
    field.device(store, outcome.stored)


@pytest.mark.parametrize("field", TEXTS, ids=lambda f: f.name)
def test_a_maximum_counts_every_stored_character_so_a_device_can_hold_what_the_server_keeps(field, server):
    # the app never sends padding (it trims); another client sending it cannot pass the
    # maximum either, so a device store sized for the maximum holds every server row
    outcome = field.server(server, PAD + "x" * field.high)
    assert (outcome.accepted, outcome.code) == (False, "23514"), outcome


def test_a_blank_display_name_means_no_name_in_the_app_and_null_on_the_server(server, store):
    assert _profile(display_name=PAD).display_name == ""  # sent to the server as null
    assert server.update("profiles", "display_name", None).accepted
    for blank in ("", PAD):
        outcome = server.update("profiles", "display_name", blank)
        assert (outcome.accepted, outcome.code) == (False, "23514"), outcome
    device_write(store, "update profile set display_name = ? where id = 1", ("",))


def test_a_blank_affirmation_is_refused_by_the_app_the_server_and_the_device_store(server, store):
    affirmations = next(f for f in TEXTS if f.name == "affirmations")
    assert not app_accepts(affirmations, PAD)
    outcome = affirmations.server(server, PAD)
    assert (outcome.accepted, outcome.code) == (False, "23514"), outcome
    with pytest.raises(sqlite3.IntegrityError):
        affirmations.device(store, PAD)


def test_a_blank_biggest_win_is_none_in_the_app_and_an_empty_one_is_kept_by_the_server_and_the_device(
        server, store):
    # the win is optional: the app saves a blank one as none (null); an empty string another
    # client wrote is kept by the server, and the device can hold it when it pulls the day
    biggest_win = next(f for f in TEXTS if f.name == "biggest_win")
    assert biggest_win.app(PAD) is None
    outcome = biggest_win.server(server, "")
    assert outcome.accepted and outcome.stored == "", outcome
    biggest_win.device(store, outcome.stored)


def test_a_null_text_means_none_on_the_server_and_on_the_device(server, store):
    for field in TEXTS:
        if field.name == "affirmations":  # a version always has a text
            continue
        outcome = field.server(server, None)
        assert outcome.accepted and outcome.stored is None, (field.name, outcome)
        field.device(store, "" if field.name == "display_name" else None)  # the device's "no name" is ""
