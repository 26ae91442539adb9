"""The in-memory fake server (tests/sync/fake_server.py), which the engine tests trust, against
the REAL `public.sync_push` / `public.sync_pull` on the throwaway PostgreSQL cluster: the same
batches go to both, and both must answer the same and hold the same.

Hypothesis writes short histories of pushes of one member from two clients: days by a few dates
(morning and evening halves, each with its stamp, sometimes only some of their fields, sometimes
the legacy `updated_at`), vision board tiles at positions 1–4 (and 9, off the board) with ids
from a small pool (so tiles move and ids collide), tombstones, affirmation versions with and without a save time and
with repeated texts, profile and settings rows with per-field stamps (or the legacy row stamp),
bad values among them (an unknown time zone, a 60-character display name, a rating of 11, a day
in 2100, a caption of 141 characters, ...), rows that are not objects, and now and then a
(client_id, op_id) sent again. After every push:

- the push results are equal: applied / unchanged counts, `replayed`, the rejected entries
  (table, id, field, code and `current`, not the reason's wording), `versions`, and `ids` up to
  the renaming of fresh server uuids (a tile id that collided gets a new id on each side);
- `sync_pull(0)` holds the same rows, without the server-only columns (clock, statistics,
  subscription, e-mail and member number) and with every timestamp read as an instant.

Every day is in June 2026 (the server refuses days after tomorrow), except the deliberately bad
one. A new member per example (tests.create_supabase_user, removed with public.delete_member).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chris_app.services.affirmations import STARTER_AFFIRMATIONS as STARTER
from tests.sync.fake_server import FakeServer

pytestmark = pytest.mark.db

BASE = datetime(2026, 6, 10, 4, 0, tzinfo=timezone.utc)
BERLIN = timezone(timedelta(hours=2))
DATES = ["2026-06-08", "2026-06-09", "2026-06-10"]
# columns only the server writes (its clock, statistics, subscription, identity): not compared
SERVER_ONLY = frozenset({
    "created_at", "updated_at", "change_xid", "email", "member_number", "member_code", "subscription_status",
    "trial_ends_at", "stripe_customer_id", "stripe_subscription_id", "stripe_price_id",
    "subscription_current_period_end", "subscription_started_at", "subscription_ends_at", "subscription_event_at",
    "is_founding_member", "current_streak", "longest_streak", "total_days_completed", "completion_rate",
    "average_discipline_rating", "discipline_score", "stats_day", "freezes_held", "frozen_days",
})
TABLES = ("profile", "user_settings", "affirmations", "vision_boards", "daily_sessions")


# ---------------------------------------------------------------------------------------------
# What Hypothesis draws: batches with symbolic ids ("@id:T1") and paths ("@own:a.png"), made
# concrete for each example's member
# ---------------------------------------------------------------------------------------------
@st.composite
def stamps(draw) -> str:
    """A client time: one of a few instants (ties happen), written in one of several ways."""
    instant = BASE + timedelta(minutes=draw(st.integers(0, 5)), seconds=draw(st.sampled_from([0, 0, 0.5])))
    form = draw(st.sampled_from(["utc", "z", "berlin", "micro"]))
    if form == "z":
        return instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if form == "berlin":
        return instant.astimezone(BERLIN).isoformat()
    return instant.isoformat(timespec="microseconds" if form == "micro" else "auto")


def maybe(strategy, none_weight: int = 1):
    return st.one_of(*[st.none()] * none_weight, strategy)


def ids(prefix: str, n: int):
    return st.integers(0, n - 1).map(lambda i: f"@id:{prefix}{i}")


def chance(draw, n: int) -> bool:
    """True about once in n draws (False is what Hypothesis tries first and shrinks to)."""
    return draw(st.sampled_from([False] * (n - 1) + [True]))


def some_of(draw, rec: dict) -> dict:
    """All of the row's keys (as the app sends them) or a subset (as another client could)."""
    if not chance(draw, 3):
        return rec
    keys = draw(st.lists(st.sampled_from(sorted(rec)), unique=True, min_size=1))
    return {k: rec[k] for k in keys}


def spoil(draw, rec: dict, bad: dict[str, list], n: int = 5) -> dict:
    """Now and then one value the server refuses (one at a time: each check gets its turn)."""
    if chance(draw, n):
        field = draw(st.sampled_from(sorted(bad)))
        rec[field] = draw(st.sampled_from(bad[field]))
    return rec


MORNING_BAD = {"recording_path": ["someone-else/2026-06-10-recording.ogg"], "recording_duration_ms": [4_000_000],
               "recording_sha256": ["not-a-sha"], "affirmations_version": [0], "violent_action": ["ab", "  ab  "],
               "action_tile_caption": ["", "c" * 201]}
EVENING_BAD = {"discipline_rating": [0, 11], "biggest_win": ["w" * 1001]}
METRICS_BAD = {"recording_speaking_ms": [-1, "fast"], "recording_loudness_dbfs": [3.5, "NaN", "1e40"],
               "read_coverage": [1.5, "loud"], "words_per_minute": [5000, True]}


@st.composite
def sessions(draw) -> dict:
    rec: dict[str, Any] = {"id": draw(ids("S", 4)), "date": draw(st.sampled_from(DATES * 6 + ["2100-01-01"]))}
    legacy = chance(draw, 10)  # an old client: one updated_at for both halves
    if draw(st.booleans()):
        morning = {
            "morning_completed": draw(st.booleans()),
            "morning_completed_at": draw(maybe(stamps())),
            "recording_path": draw(st.sampled_from([None, "@own:2026-06-10-recording.ogg", "@own:take-2.ogg"])),
            "recording_duration_ms": draw(st.sampled_from([None, 30_000, 45_000])),
            "recording_sha256": draw(st.sampled_from([None, "a" * 64, "b" * 64])),
            "affirmations_version": draw(st.sampled_from([None, 1, 2])),
            "vision_board_viewed": draw(st.booleans()),
            "violent_action": draw(st.sampled_from([None, "Call the bank", "Run 10 km"])),
            "violent_action_id": None,
            "violent_action_set_at": draw(maybe(stamps())),
            # a link without an action, or a caption without a tile, breaks the table's checks
            "action_tile_id": draw(st.sampled_from([None, "@id:T0", "@id:T1"])),
            "action_tile_caption": draw(st.sampled_from([None, "Cabin by the lake"])),
        }
        rec |= some_of(draw, spoil(draw, morning, MORNING_BAD))
        if not legacy:
            rec["morning_updated_at"] = draw(stamps())
    if draw(st.booleans()):  # the reading's metrics (any row may carry them, with or without a morning)
        metrics = {
            "recording_speaking_ms": draw(st.sampled_from([None, 20_000, 24_500])),
            "recording_loudness_dbfs": draw(st.sampled_from([None, -21.5, -30.25, -18.3])),
            "read_coverage": draw(st.sampled_from([None, 0.5, 0.94, 1])),
            "words_per_minute": draw(st.sampled_from([None, 120, 132.7])),
        }
        rec |= some_of(draw, spoil(draw, metrics, METRICS_BAD))
    if draw(st.booleans()):
        evening = {
            "action_completed": draw(st.sampled_from([None, True, False])),
            "evening_completed": draw(st.booleans()),
            "evening_completed_at": draw(maybe(stamps())),
            "discipline_rating": draw(st.sampled_from([None, 4, 8, 10])),
            "biggest_win": draw(st.sampled_from([None, "Shipped it", "Rested"])),
        }
        rec |= some_of(draw, spoil(draw, evening, EVENING_BAD))
        if not legacy:
            rec["evening_updated_at"] = draw(stamps())
    if legacy:
        rec["updated_at"] = draw(stamps())
    return rec


@st.composite
def tiles(draw) -> dict:
    tile_id, position, stamp = draw(ids("T", 4)), draw(st.sampled_from([1, 2, 3, 4] * 5 + [9])), draw(stamps())
    if chance(draw, 4):  # a tombstone, as the app sends a removal
        return {"id": tile_id, "position": position, "image_path": f"@own:removed-{tile_id[4:]}", "caption": None,
                "deleted_at": stamp, "client_updated_at": stamp}
    rec = {"id": tile_id, "position": position,
           "image_path": draw(st.sampled_from(["@own:1-a.png", "@own:2-b.png", "@own:3-c.png"])),
           "caption": draw(st.sampled_from([None, "Cabin", "Boat"])), "deleted_at": None}
    spoil(draw, rec, {"image_path": [None, "someone-else/1-a.png"], "caption": ["x" * 141]})
    rec["updated_at" if chance(draw, 10) else "client_updated_at"] = stamp
    return rec


@st.composite
def affirmation_versions(draw) -> dict:
    rec = {"id": draw(ids("A", 4)),
           "content": draw(st.sampled_from([STARTER] * 2 + ["I keep my word.", "I act before I feel ready.", "   "])),
           "is_active": draw(st.booleans()),
           "client_updated_at": draw(maybe(stamps()))}
    if chance(draw, 10):  # an old client: the row stamp only, or an activation without the text
        rec.pop(draw(st.sampled_from(["client_updated_at", "content"])))
        rec["updated_at"] = draw(stamps())
    return rec


PROFILE_VALUES = {
    "full_name": [None, "Chris Disciplined"],
    "display_name": [None, "Chris", "Chris D."],
    "timezone": ["Europe/Berlin", "Europe/Lisbon", "America/New_York"],
    "day_start": [3, 4, 5],
    "morning_protocol_time": ["05:30", "06:15", "07:00:00"],
    "evening_review_time": ["20:00", "21:30:00", "22:00"],
    "leaderboard_opt_in": [False, True],
}
PROFILE_BAD = {"display_name": ["C" * 60, "   "], "timezone": ["Mars/Olympus", None], "day_start": [24],
               "morning_protocol_time": ["25:00", "soon"], "leaderboard_opt_in": [None]}
SETTINGS_VALUES = {
    "push_notifications": [True, False], "email_reminders": [False, True], "morning_reminder": [True, False],
    "evening_reminder": [True, False], "weekly_email": [True, False], "sound_enabled": [True, False],
    "auto_play_recording": [True, False], "theme": ["system", "light", "dark"],
}
SETTINGS_BAD = {"theme": ["blue", None], "sound_enabled": [None]}


@st.composite
def per_field(draw, values: dict, bad: dict, row_stamp: str) -> dict:
    """A profile or settings row: some fields, stamps for some of them (the app's way), or the
    legacy row stamp only, or a broken stamps object."""
    sent = draw(st.lists(st.sampled_from(sorted(values)), unique=True))
    rec: dict[str, Any] = spoil(draw, {k: draw(st.sampled_from(values[k])) for k in sent}, bad, 3)
    way = draw(st.sampled_from(["stamps"] * 10 + ["legacy", "no stamp", "broken"]))
    if way == "stamps":
        stamped = draw(st.sets(st.sampled_from(sorted(values))) | st.just(set(rec)))
        rec["field_stamps"] = {k: draw(stamps()) for k in sorted(stamped)}
        if rec["field_stamps"] and chance(draw, 10):  # a stamp the server cannot read
            rec["field_stamps"][draw(st.sampled_from(sorted(stamped)))] = draw(st.sampled_from([None, "not a time"]))
        good = [s for s in rec["field_stamps"].values() if s not in (None, "not a time")]
        rec[row_stamp] = max(good, key=lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))) if good else None
    elif way == "legacy":
        rec[row_stamp] = draw(stamps())
    elif way == "broken":
        rec["field_stamps"] = draw(st.sampled_from([None, "yesterday", ["theme"]]))
        rec[row_stamp] = draw(stamps())
    return rec


@st.composite
def profiles(draw) -> dict:
    rec = draw(per_field(PROFILE_VALUES, PROFILE_BAD, "prefs_updated_at"))
    if draw(st.booleans()):
        rec["first_day"] = draw(st.sampled_from(["2026-06-08", "2026-06-12", "2026-06-05"] * 2 + [
            None, "2100-01-01", "1999-12-31", "2026-02-30", "soon"]))
    return rec


@st.composite
def batches(draw) -> dict:
    changes: dict[str, Any] = {}
    if chance(draw, 2):
        changes["profile"] = draw(profiles())
        if chance(draw, 10):  # two rows of it in one push
            changes["profile"] = [changes["profile"], draw(profiles())]
    if chance(draw, 3):
        changes["user_settings"] = draw(per_field(SETTINGS_VALUES, SETTINGS_BAD, "client_updated_at"))
    for table, rows in (("affirmations", affirmation_versions()), ("vision_boards", tiles()),
                        ("daily_sessions", sessions())):
        if draw(st.booleans()):
            changes[table] = draw(st.lists(rows, max_size=3))
    if chance(draw, 25):  # not a row at all
        changes.setdefault(draw(st.sampled_from(["daily_sessions", "vision_boards", "affirmations"])), []).append(5)
    return changes


@st.composite
def histories(draw) -> list[dict]:
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        client = draw(st.integers(0, 1))
        earlier = [i for i, s in enumerate(steps) if s["client"] == client]
        again = earlier and chance(draw, 8)  # a retried op: its first answer comes back
        op_id = steps[draw(st.sampled_from(earlier))]["op_id"] if again else 1 + len(earlier)
        steps.append({"client": client, "op_id": op_id, "changes": draw(batches())})
    return steps


def concrete(value: Any, uid: str) -> Any:
    if isinstance(value, str) and value.startswith("@id:"):
        return str(uuid.uuid5(uuid.UUID(uid), value[4:]))
    if isinstance(value, str) and value.startswith("@own:"):
        return f"{uid}/{value[5:]}"
    if isinstance(value, dict):
        return {k: concrete(v, uid) for k, v in value.items()}
    if isinstance(value, list):
        return [concrete(v, uid) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------------------------
def instant(value: str) -> str:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(timezone.utc).isoformat(timespec="microseconds")


def normal_row(row: Any) -> Any:
    if not isinstance(row, dict):
        return row
    out = {}
    for k, v in row.items():
        if k in SERVER_ONLY:
            continue
        if k.endswith("_at") and isinstance(v, str):
            v = instant(v)
        elif k in ("prefs_stamps", "field_stamps") and isinstance(v, dict):
            v = {f: instant(s) if isinstance(s, str) else s for f, s in v.items()}
        out[k] = v
    return out


def normal_rows(rows: list) -> list:
    return sorted((normal_row(r) for r in rows), key=lambda r: json.dumps(r, sort_keys=True))


class Renaming:
    """Fresh server uuids (a collided tile id) differ between the two sides: the first time one
    shows up on each side they are paired, and must stay paired."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.fake_to_real: dict[str, str] = {}

    def pair(self, fake_id: Any, real_id: Any, where: str) -> None:
        if fake_id in self.known or real_id in self.known or fake_id is None or real_id is None:
            assert fake_id == real_id, f"{where}: fake {fake_id} != real {real_id}"
        elif fake_id in self.fake_to_real:
            assert self.fake_to_real[fake_id] == real_id, f"{where}: fresh id paired twice"
        else:
            assert real_id not in self.fake_to_real.values(), f"{where}: fresh id paired twice"
            self.fake_to_real[fake_id] = real_id

    def pair_tiles(self, fake_rows: list, real_rows: list, where: str) -> None:
        """Tiles by position: a fresh id the push result does not show (the same client id
        stored at two empty positions in one push: `ids` keeps the last) is paired here."""
        real_at = {r.get("position"): r.get("id") for r in real_rows if isinstance(r, dict)}
        for f in fake_rows:
            if isinstance(f, dict) and f.get("position") in real_at:
                self.pair(f.get("id"), real_at[f.get("position")], f"{where} tile at {f.get('position')}")

    def apply(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.fake_to_real.get(value, value)
        if isinstance(value, dict):
            return {self.apply(k): self.apply(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.apply(v) for v in value]
        return value


def same_push_result(fake: dict, real: dict, names: Renaming, where: str) -> None:
    assert sorted(fake["ids"]) == sorted(real["ids"]), f"{where}: ids {fake['ids']} != {real['ids']}"
    for k in real["ids"]:
        names.pair(fake["ids"][k], real["ids"][k], f"{where} ids[{k}]")
    assert len(fake["rejected"]) == len(real["rejected"]), f"{where}: rejected {fake['rejected']} != {real['rejected']}"
    for f, r in zip(fake["rejected"], real["rejected"]):
        if f.get("table") == r.get("table") == "vision_boards":
            names.pair_tiles(f.get("current") or [], r.get("current") or [], where)
    fake = names.apply(fake)
    for key in ("op_id", "applied", "unchanged", "replayed", "versions"):
        assert fake.get(key) == real.get(key), f"{where}: {key} {fake.get(key)} != {real.get(key)}"

    def entries(result):
        return [{"table": r.get("table"), "id": r.get("id"), "field": r.get("field"), "code": r.get("code"),
                 "current": normal_rows(r.get("current") or [])} for r in result["rejected"]]

    assert entries(fake) == entries(real), (
        f"{where}: rejected differ\nfake: {json.dumps(entries(fake), indent=1)}"
        f"\nreal: {json.dumps(entries(real), indent=1)}"
        f"\nreasons fake: {[r['reason'] for r in fake['rejected']]}"
        f"\nreasons real: {[r['reason'] for r in real['rejected']]}")


def same_rows(fake: dict, real: dict, names: Renaming, where: str) -> None:
    names.pair_tiles(fake["changes"]["vision_boards"], real["changes"]["vision_boards"], where)
    fake = names.apply(fake)
    for table in TABLES:
        f = [normal_row(r) for r in fake["changes"][table]]
        r = [normal_row(r) for r in real["changes"][table]]
        assert f == r, f"{where}: {table} differ\nfake: {f}\nreal: {r}"


# ---------------------------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sides(pg):
    """An admin connection (members come and go) and a member's connection (as PostgREST)."""
    with pg.connect(autocommit=True) as admin, pg.connect(options="-c statement_timeout=20000") as member:
        member.execute("select set_config('role', 'authenticated', false)")
        member.commit()
        yield admin, member


def call(member, sql: str, *args) -> Any:
    try:
        result = member.execute(sql, args).fetchone()[0]
    except Exception:
        member.rollback()
        raise
    member.commit()
    return result


def reading(sha: str, minute: int, **metrics) -> dict:
    """A day's morning with its reading (sha256 `sha`), stamped BASE + `minute`, and metrics."""
    return {"daily_sessions": [{
        "id": "@id:S0", "date": "2026-06-10", "morning_completed": True,
        "morning_completed_at": BASE.isoformat(), "recording_path": "@own:2026-06-10-recording.ogg",
        "recording_duration_ms": 30_000, "recording_sha256": sha * 64,
        "morning_updated_at": (BASE + timedelta(minutes=minute)).isoformat()} | metrics]}


# The reading's metrics, written out: measured, checked later under the same stamp, pushed again
# without metrics, replaced by another device's newer reading, a late check of the old reading.
METRICS_HISTORY = [
    {"client": 0, "op_id": 1, "changes": reading("a", 0, recording_speaking_ms=20_000, recording_loudness_dbfs=-21.5)},
    {"client": 0, "op_id": 2, "changes": reading("a", 0, recording_speaking_ms=20_000, read_coverage=0.94,
                                                 words_per_minute=132.7)},
    {"client": 1, "op_id": 1, "changes": reading("a", 2)},
    {"client": 1, "op_id": 2, "changes": reading("b", 3, recording_speaking_ms=24_500, recording_loudness_dbfs=-18.3)},
    {"client": 0, "op_id": 3, "changes": reading("a", 0, read_coverage=0.5, words_per_minute=120)},
    {"client": 1, "op_id": 3, "changes": reading("b", 1, read_coverage=1.5)},
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(history=histories())
@example(history=METRICS_HISTORY)
def test_the_fake_server_answers_and_holds_what_the_real_sql_does(sides, history):
    admin, member = sides
    uid = str(admin.execute("select tests.create_supabase_user(%s, null, %s::jsonb)",
                            (f"fake-vs-real-{uuid.uuid4()}", json.dumps({"timezone": "Europe/Berlin"}))).fetchone()[0])
    try:
        first_day, today = admin.execute("select first_day, (now() at time zone 'UTC')::date from public.profiles"
                                         " where id = %s", (uid,)).fetchone()
        call(member, "select set_config('request.jwt.claims', %s, false)",
             json.dumps({"sub": uid, "role": "authenticated"}))
        fake = FakeServer(uid, timezone="Europe/Berlin", first_day=first_day.isoformat(), today=today)
        clients = [str(uuid.uuid5(uuid.UUID(uid), f"client-{i}")) for i in range(2)]
        names = Renaming({str(uuid.uuid5(uuid.UUID(uid), f"{p}{i}")) for p in "STA" for i in range(4)})
        for n, step in enumerate(history, 1):
            changes = concrete(step["changes"], uid)
            client = clients[step["client"]]
            real = call(member, "select public.sync_push(%s::jsonb, %s::uuid, %s)", json.dumps(changes), client,
                        step["op_id"])
            answer = fake.push(changes, client, step["op_id"])
            where = f"push {n} of {len(history)} {json.dumps(changes)}"
            same_push_result(answer, real, names, where)
            same_rows(fake.pull(0), call(member, "select public.sync_pull(0, null)"), names, f"pull after {where}")
    finally:
        admin.execute("select public.delete_member(%s)", (uid,))
