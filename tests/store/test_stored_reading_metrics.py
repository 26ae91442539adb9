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


def tone_wav(seconds: float, pause: float, amplitude: float) -> bytes:
    import io

    import numpy as np
    import soundfile

    rate = 16000
    t = np.arange(int(seconds * rate)) / rate
    samples = np.concatenate([amplitude * np.sin(2 * np.pi * 220 * t), np.zeros(int(pause * rate))])
    buf = io.BytesIO()
    soundfile.write(buf, samples.astype(np.float32), rate, format="WAV")
    return buf.getvalue()


def test_voice_history_puts_the_first_reading_beside_the_latest_and_says_what_changed(store):
    assert reading_metrics.voice_history(store).first is None
    first = recordings.import_audio_file(store, MORNING, "a.wav", tone_wav(21, 10, 0.03))
    alone = reading_metrics.voice_history(store)
    assert alone.first.recording_id == first.id and alone.latest is None
    recordings.import_audio_file(store, MORNING + timedelta(days=1), "b.wav", tone_wav(25, 5, 0.1))
    latest = recordings.import_audio_file(store, MORNING + timedelta(days=3), "c.wav", tone_wav(30, 0, 0.3))
    history = reading_metrics.voice_history(store)
    assert (history.first.recording_id, history.latest.recording_id) == (first.id, latest.id)
    assert [f.date.day for f in history.measured] == [10, 11, 13]
    assert history.checked == []
    assert reading_metrics.change_since_first(history.first, history.latest) == \
        "Since your first reading: speaking time 0:21 → 0:30, 20 dB louder."

    reading_metrics.record_check(store, MORNING, first.id, 0.6, 100)
    reading_metrics.record_check(store, MORNING, latest.id, 0.95, 130)
    history = reading_metrics.voice_history(store)
    assert [f.read_coverage for f in history.checked] == [0.6, 0.95]
    assert reading_metrics.change_since_first(history.first, history.latest).endswith(", read 60% → 95%.")


def test_no_change_sentence_without_metrics_on_both_sides(store):
    a = recordings.import_audio_file(store, MORNING, "a.wav", tone_wav(21, 0, 0.3))
    b = recordings.import_audio_file(store, MORNING + timedelta(days=1), "b.wav", tone_wav(21, 0, 0.3))
    with store.transaction() as conn:
        conn.execute("update recordings set speaking_ms = null, loudness_dbfs = null where id = ?", (a.id,))
    history = reading_metrics.voice_history(store)
    assert reading_metrics.change_since_first(history.first, history.latest) is None
    assert [f.recording_id for f in history.measured] == [b.id]


def test_0009_keeps_earlier_readings_and_leaves_them_to_be_measured(tmp_path):
    from chris_app.store.db import connect
    from chris_app.store.migrate import migrate

    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=8)
    conn.execute("insert into recordings (id, date, path, mime, duration_ms, size_bytes, sha256, created_at)"
                 " values ('r1', '2026-01-01', 'p', 'audio/ogg', 21000, 10, ?, 't')", ("0" * 64,))
    migrate(conn, target=9)
    row = conn.execute("select duration_ms, speaking_ms, loudness_dbfs, read_coverage, words_per_minute"
                       " from recordings").fetchone()
    assert tuple(row) == (21000, None, None, None, None)
    with pytest.raises(Exception, match="CHECK constraint failed"):
        conn.execute("update recordings set read_coverage = 1.5")
