"""Reading metrics stored with the recording (services/reading_metrics)."""

import math
from datetime import timedelta

import pytest

from chris_app.errors import InvalidInput, NotFound
from chris_app.services import reading_metrics, recordings
from tests.conftest import MORNING, wav_bytes


def outbox_days(store):
    return [r["row_id"] for r in store.query("select row_id from outbox where entity = 'daily_sessions'")]


def drain_outbox(store):
    with store.transaction() as conn:
        conn.execute("delete from outbox")


def test_the_read_aloud_check_is_stored_with_the_reading_and_its_day_is_synced(store):
    rec = recordings.import_audio_file(store, MORNING, "reading.wav", wav_bytes(21))
    drain_outbox(store)
    stamp_before = store.query("select morning_updated_at from daily_sessions")[0][0]
    reading_metrics.record_check(store, MORNING + timedelta(minutes=2), rec.id, 0.94, 132.0)
    figures = reading_metrics.figures_of(store, rec.id)
    assert (figures.read_coverage, figures.words_per_minute) == (0.94, 132.0)
    day_id = store.query("select id from daily_sessions")[0][0]
    assert outbox_days(store) == [day_id]
    # The morning's own stamp is the reading's, not the check's.
    assert store.query("select morning_updated_at from daily_sessions")[0][0] == stamp_before


@pytest.mark.parametrize("coverage, wpm, field", [
    (1.2, 130.0, "read_coverage"), (-0.1, 130.0, "read_coverage"), (math.nan, 130.0, "read_coverage"),
    (0.5, -1.0, "words_per_minute"), (0.5, 5000.0, "words_per_minute"), (0.5, math.inf, "words_per_minute"),
    ("0.5", 130.0, "read_coverage"),
])
def test_a_bad_check_result_is_refused_and_nothing_is_stored(store, coverage, wpm, field):
    rec = recordings.import_audio_file(store, MORNING, "reading.wav", wav_bytes(21))
    reading_metrics.record_check(store, MORNING, rec.id, 0.5, 120.0)
    with pytest.raises(InvalidInput) as err:
        reading_metrics.record_check(store, MORNING, rec.id, coverage, wpm)
    assert list(err.value.problems) == [field]
    figures = reading_metrics.figures_of(store, rec.id)
    assert (figures.read_coverage, figures.words_per_minute) == (0.5, 120.0)


def test_a_check_for_an_unknown_reading_says_so(store):
    with pytest.raises(NotFound):
        reading_metrics.record_check(store, MORNING, "no-such-reading", 0.5, 120.0)
