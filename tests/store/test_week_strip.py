"""The week strip under the streak: the last 7 protocol days ending today, with a frozen clock."""

from datetime import date, timedelta

from chris_app.services import day, recordings
from chris_app.services.week import week_strip
from tests.conftest import MORNING, wav_bytes

# MORNING is Wednesday 10 June 2026, 05:30 in Berlin: the member's first day.
EVENING = MORNING + timedelta(hours=16)


def record(store, now):
    recordings.import_audio_file(store, now, "reading.wav", wav_bytes(21))


def test_a_first_day_shows_seven_days_ending_today_none_done(store):
    strip = week_strip(store, MORNING)
    assert [d.date for d in strip] == [date(2026, 6, 4) + timedelta(days=i) for i in range(7)]
    assert [d.is_today for d in strip] == [False] * 6 + [True]
    assert not any(d.completed or d.evening_done for d in strip)


def test_recorded_mornings_and_saved_evenings_show_on_their_own_days(store):
    record(store, MORNING)  # Wed 10
    day.save_evening(store, EVENING, action_completed=False, discipline_rating=6, biggest_win="Showed up")
    record(store, MORNING + timedelta(days=1))  # Thu 11; its evening skipped
    # Fri 12 missed; Sat 13 is today, opened in the evening before the reading
    strip = week_strip(store, EVENING + timedelta(days=3))
    assert strip[-1].date == date(2026, 6, 13) and strip[-1].is_today
    assert [(d.date.day, d.completed, d.evening_done) for d in strip[-4:]] == [
        (10, True, True), (11, True, False), (12, False, False), (13, False, False)]


def test_the_strip_follows_the_protocol_day_not_the_calendar_day(store):
    record(store, MORNING)
    after_midnight = MORNING + timedelta(hours=19, minutes=10)  # 00:40 on Thursday: still Wednesday
    strip = week_strip(store, after_midnight)
    assert strip[-1].date == date(2026, 6, 10) and strip[-1].is_today and strip[-1].completed


def test_reading_the_strip_does_not_grow_with_the_history(store):
    def steps():
        count = [0]

        def tick():
            count[0] += 1
            return 0

        store.conn.set_progress_handler(tick, 1)
        try:
            week_strip(store, MORNING)
        finally:
            store.conn.set_progress_handler(None, 1)
        return count[0]

    short = steps()
    with store.transaction() as conn:  # three years of (unfinished) days before this week
        conn.executemany(
            "insert into daily_sessions (id, date, created_at, updated_at) values (?, ?, 'x', 'x')",
            [(f"old-{i}", (date(2026, 6, 1) - timedelta(days=i)).isoformat()) for i in range(1100)])
    assert steps() < short * 1.5
