"""The evening's rules: the "did you do it?" answer only on a day with an action, the biggest
win optional; and local migration 0007, which let the store hold such evenings."""

from datetime import date, timedelta

import pytest

from chris_app.errors import InvalidInput
from chris_app.services import day
from chris_app.store.db import connect
from chris_app.store.migrate import migrate
from tests.conftest import MORNING

EVENING = MORNING + timedelta(hours=16)  # 21:30 Berlin
TODAY = date(2026, 6, 10)


def test_a_day_without_an_action_saves_its_evening_with_no_answer(store):
    saved = day.save_evening(store, EVENING, discipline_rating=7, biggest_win="Went to bed early")
    assert (saved.evening_completed, saved.action_completed, saved.discipline_rating) == (True, None, 7)
    # an answer sent anyway is not kept: there was nothing to do
    saved = day.save_evening(store, EVENING, action_completed=False, discipline_rating=6)
    assert saved.action_completed is None


def test_a_day_with_an_action_needs_the_answer_and_saves_nothing_without_it(store):
    day.set_action(store, MORNING, "Call the three clients who went quiet")
    with pytest.raises(InvalidInput) as refused:
        day.save_evening(store, EVENING, discipline_rating=8, biggest_win="Two called back")
    assert refused.value.problems == {"action_completed": "Say whether you did today's action."}
    assert not day.get_day(store, TODAY).evening_completed
    saved = day.save_evening(store, EVENING, action_completed=True, discipline_rating=8)
    assert (saved.action_completed, saved.discipline_rating) == (True, 8)


@pytest.mark.parametrize("win", [None, "", "   "])
def test_the_biggest_win_is_optional_and_a_blank_one_is_none(store, win):
    assert day.save_evening(store, EVENING, discipline_rating=5, biggest_win=win).biggest_win is None


def test_a_too_long_win_is_refused_with_a_sentence(store):
    with pytest.raises(InvalidInput, match="1000 characters"):
        day.save_evening(store, EVENING, discipline_rating=5, biggest_win="w" * 1001)


def test_0007_keeps_every_day_and_the_kept_statistics_and_admits_an_evening_without_an_answer(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=6)
    conn.execute("insert into recordings (id, date, path, mime, duration_ms, size_bytes, sha256, created_at)"
                 " values ('r1', '2026-01-01', 'p', 'audio/ogg', 21000, 10, ?, 't')", ("0" * 64,))
    conn.execute("insert into daily_sessions (id, date, morning_completed, morning_completed_at, recording_id,"
                 " violent_action, action_completed, evening_completed, discipline_rating, biggest_win,"
                 " created_at, updated_at, morning_updated_at, evening_updated_at)"
                 " values ('s1', '2026-01-01', 1, 't', 'r1', 'Ask for the raise', 1, 1, 9, 'Asked', 'c', 'u', 'm', 'e'),"
                 "        ('s2', '2026-01-02', 1, 't', 'r1', null, null, 0, null, null, 'c', 'u', 'm', null)")
    before = [tuple(r) for r in conn.execute("select * from daily_sessions order by id")]
    state = "select (select group_concat(first_date || last_date || days) from stats_runs), completed_count from stats_state"
    kept = tuple(conn.execute(state).fetchone())
    migrate(conn, target=7)
    assert [tuple(r) for r in conn.execute("select * from daily_sessions order by id")] == before
    assert tuple(conn.execute(state).fetchone()) == kept == ("2026-01-012026-01-022", 2)
    conn.execute("update daily_sessions set evening_completed = 1, discipline_rating = 6 where id = 's2'")
    # a saved evening still needs its rating, and the statistics triggers still follow the days
    with pytest.raises(Exception, match="CHECK"):
        conn.execute("update daily_sessions set discipline_rating = null where id = 's2'")
    conn.execute("update daily_sessions set morning_completed = 0 where id = 's2'")
    assert conn.execute("select completed_count from stats_state").fetchone()[0] == 1
    assert [r[0] for r in conn.execute("select name from sqlite_schema where tbl_name = 'daily_sessions'"
                                       " and type in ('index', 'trigger') and name not like 'sqlite_%' order by name")] == [
        "daily_sessions_for_figures", "daily_sessions_stats_delete", "daily_sessions_stats_insert",
        "daily_sessions_stats_update"]
