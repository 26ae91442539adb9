"""Today's protocol: morning (recording), vision board viewed, violent action, evening review.

Each function works on the protocol day that `now` falls in for the member; past days are
read-only (the evening review is editable until the protocol day ends)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chris_app.domain.days import day_completed, first_unfinished_step, morning_finished, morning_steps_done
from chris_app.domain.suggestions import RecentAction, suggest
from chris_app.library import LibraryAction, library
from chris_app.library import find as find_library_action
from chris_app.errors import InvalidInput
from chris_app.models import ActionInput, EveningInput, parse
from chris_app.services._rows import enqueue, new_id, stamp
from chris_app.services.profile import today
from chris_app.store import Store


@dataclass(frozen=True, slots=True)
class DaySession:
    id: str
    date: date
    morning_completed: bool
    recording_id: str | None
    affirmations_version: int | None
    vision_board_viewed: bool
    violent_action: str | None
    violent_action_id: str | None
    action_completed: bool | None
    evening_completed: bool
    discipline_rating: int | None
    biggest_win: str | None
    # the vision tile the action builds toward: its id and its caption when linked (the tile
    # may since have been removed; docs/sync.md, "Board and action links")
    action_tile_id: str | None = None
    action_tile_caption: str | None = None


def get_day(store: Store, day: date) -> DaySession | None:
    rows = store.query("select * from daily_sessions where date = ?", (day.isoformat(),))
    return _from_row(rows[0]) if rows else None


def parts_done(store: Store, now: datetime) -> tuple[bool, bool]:
    """Whether the morning (the completed day, docs/rules.md#completed-day) and the evening
    review are done for the protocol day `now` falls in: what decides whether today's
    reminders are still due."""
    session = get_day(store, today(store, now))
    return completed(session), bool(session and session.evening_completed)


def completed(session: DaySession | None) -> bool:
    """Whether this day counts as completed (domain.days.day_completed); no row: not."""
    return day_completed(bool(session and session.morning_completed))


def board_is_empty(store: Store) -> bool:
    """No tile on the vision board: the morning's board step has nothing to show."""
    return not store.query("select 1 from vision_board_tiles limit 1")


def _morning_parts(session: DaySession | None, board_empty: bool) -> tuple[bool, bool, bool, bool]:
    """The inputs of the morning-finished rule (domain.days) from a day's row (None: no row)."""
    s = session
    return (bool(s and s.morning_completed), bool(s and s.vision_board_viewed), board_empty,
            bool(s and s.violent_action))


def morning_steps(session: DaySession | None, board_empty: bool) -> dict[str, bool]:
    """Each morning step of a day and whether it is done (domain.days.morning_steps_done)."""
    return morning_steps_done(*_morning_parts(session, board_empty))


def morning_step(session: DaySession | None, board_empty: bool) -> str:
    """The first unfinished morning step of a day: "record" | "board" | "action" | "done"."""
    return first_unfinished_step(*_morning_parts(session, board_empty))


def morning_finished_today(session: DaySession | None, board_empty: bool) -> bool:
    """Whether the morning ritual of a day is finished (domain.days.morning_finished)."""
    return morning_finished(*_morning_parts(session, board_empty))


RECENT_DAYS = 14  # how far back the suggestions look at the member's actions


def action_suggestions(store: Store, now: datetime) -> list[LibraryAction]:
    """Three library actions for today, matched to the member's recent actions and evenings."""
    day = today(store, now)
    rows = store.query(
        "select violent_action_id, action_completed from daily_sessions"
        " where date >= ? and date < ? and violent_action is not null order by date desc",
        ((day - timedelta(days=RECENT_DAYS)).isoformat(), day.isoformat()))
    recent = []
    for r in rows:
        picked = find_library_action(r["violent_action_id"]) if r["violent_action_id"] else None
        done = None if r["action_completed"] is None else bool(r["action_completed"])
        recent.append(RecentAction(r["violent_action_id"], picked.difficulty if picked else None, done))
    return suggest(library(), recent, day)


def all_days(store: Store) -> list[DaySession]:
    return [_from_row(r) for r in store.query("select * from daily_sessions order by date")]


def ensure_session(conn: sqlite3.Connection, day: date, now: datetime) -> str:
    row = conn.execute("select id from daily_sessions where date = ?", (day.isoformat(),)).fetchone()
    if row:
        return row["id"]
    session_id, ts = new_id(), stamp(now)
    conn.execute(
        "insert into daily_sessions (id, date, created_at, updated_at) values (?, ?, ?, ?)",
        (session_id, day.isoformat(), ts, ts),
    )
    return session_id


def complete_morning(conn: sqlite3.Connection, day: date, now: datetime, recording_id: str) -> None:
    """Mark the morning done with this recording, in the caller's transaction. The first
    completion time is kept when a member re-records the same day."""
    session_id = ensure_session(conn, day, now)
    version = conn.execute("select version from affirmations where is_active = 1").fetchone()
    ts = stamp(now)
    conn.execute(
        "update daily_sessions set morning_completed = 1,"
        " morning_completed_at = coalesce(morning_completed_at, ?), recording_id = ?,"
        " affirmations_version = ?, morning_updated_at = ?, updated_at = ? where id = ?",
        (ts, recording_id, version["version"] if version else None, ts, ts, session_id),
    )
    enqueue(conn, "daily_sessions", session_id, now)


def mark_vision_board_viewed(store: Store, now: datetime) -> DaySession:
    day = today(store, now)
    with store.transaction() as conn:
        session_id = ensure_session(conn, day, now)
        changed = conn.execute(
            "update daily_sessions set vision_board_viewed = 1, morning_updated_at = ?, updated_at = ?"
            " where id = ? and vision_board_viewed = 0",
            (stamp(now), stamp(now), session_id),
        ).rowcount
        if changed:
            enqueue(conn, "daily_sessions", session_id, now)
    return get_day(store, day)


KEEP_LINK = "keep"  # set_action's default: the day keeps the tile its action was linked to


def set_action(store: Store, now: datetime, text: str, library_id: str | None = None,
               tile_id: str | None = KEEP_LINK) -> DaySession:
    """Set (or change) today's violent action: from the library (by id) or written by hand,
    linked to the vision tile it builds toward (a tile id), not linked (None), or keeping the
    day's link (the default: a screen that knows nothing of tiles never drops one)."""
    if library_id is not None and not text:
        picked = find_library_action(library_id)
        text = picked.action if picked else ""
    values = parse(ActionInput, text=text, library_id=library_id)
    day = today(store, now)
    with store.transaction() as conn:
        keep = tile_id == KEEP_LINK
        caption = None if keep else _tile_caption(conn, tile_id)
        session_id = ensure_session(conn, day, now)
        ts = stamp(now)
        conn.execute(
            "update daily_sessions set violent_action = ?, violent_action_id = ?, violent_action_set_at = ?,"
            " action_tile_id = case when ? then action_tile_id else ? end,"
            " action_tile_caption = case when ? then action_tile_caption else ? end,"
            " morning_updated_at = ?, updated_at = ? where id = ?",
            (values.text, values.library_id, ts, keep, tile_id, keep, caption, ts, ts, session_id),
        )
        enqueue(conn, "daily_sessions", session_id, now)
    return get_day(store, day)


def link_action_tile(store: Store, now: datetime, tile_id: str | None) -> DaySession:
    """Link today's action to a vision tile, or unlink it (None). Needs an action set today."""
    day = today(store, now)
    with store.transaction() as conn:
        row = conn.execute("select id, violent_action from daily_sessions where date = ?",
                           (day.isoformat(),)).fetchone()
        if not (row and row["violent_action"]):
            raise InvalidInput({"tile_id": "Choose today's action first, then what it builds toward."})
        caption = _tile_caption(conn, tile_id)
        ts = stamp(now)
        conn.execute(
            "update daily_sessions set action_tile_id = ?, action_tile_caption = ?,"
            " morning_updated_at = ?, updated_at = ? where id = ?",
            (tile_id, caption, ts, ts, row["id"]),
        )
        enqueue(conn, "daily_sessions", row["id"], now)
    return get_day(store, day)


def _tile_caption(conn: sqlite3.Connection, tile_id: str | None) -> str | None:
    """The caption to keep with a link to this tile; the tile must be on the board now."""
    if tile_id is None:
        return None
    tile = conn.execute("select caption from vision_board_tiles where id = ?", (tile_id,)).fetchone()
    if tile is None:
        raise InvalidInput({"tile_id": "That picture is no longer on your vision board. Choose another one."})
    return (tile["caption"] or "").strip() or None


def save_evening(store: Store, now: datetime, *, action_completed=None, discipline_rating,
                 biggest_win=None) -> DaySession:
    """Save (or correct) today's evening review. Validated first: nothing is saved when any
    field is wrong. The "did you do it?" answer is asked for only on a day with an action and
    kept only there (a day without one saves none)."""
    values = parse(
        EveningInput,
        action_completed=action_completed,
        discipline_rating=discipline_rating,
        biggest_win=biggest_win,
    )
    day = today(store, now)
    with store.transaction() as conn:
        row = conn.execute("select violent_action from daily_sessions where date = ?", (day.isoformat(),)).fetchone()
        has_action = bool(row and row["violent_action"])
        if has_action and values.action_completed is None:
            raise InvalidInput({"action_completed": EveningInput.model_fields["action_completed"]
                                .json_schema_extra["ask"]})
        done = int(values.action_completed) if has_action else None
        session_id = ensure_session(conn, day, now)
        ts = stamp(now)
        conn.execute(
            "update daily_sessions set action_completed = ?, discipline_rating = ?, biggest_win = ?,"
            " evening_completed = 1, evening_completed_at = coalesce(evening_completed_at, ?),"
            " evening_updated_at = ?, updated_at = ? where id = ?",
            (done, values.discipline_rating, values.biggest_win, ts, ts, ts, session_id),
        )
        enqueue(conn, "daily_sessions", session_id, now)
    return get_day(store, day)


def _from_row(row: sqlite3.Row) -> DaySession:
    return DaySession(
        id=row["id"],
        date=date.fromisoformat(row["date"]),
        morning_completed=bool(row["morning_completed"]),
        recording_id=row["recording_id"],
        affirmations_version=row["affirmations_version"],
        vision_board_viewed=bool(row["vision_board_viewed"]),
        violent_action=row["violent_action"],
        violent_action_id=row["violent_action_id"],
        action_completed=None if row["action_completed"] is None else bool(row["action_completed"]),
        evening_completed=bool(row["evening_completed"]),
        discipline_rating=row["discipline_rating"],
        biggest_win=row["biggest_win"],
        action_tile_id=row["action_tile_id"],
        action_tile_caption=row["action_tile_caption"],
    )
