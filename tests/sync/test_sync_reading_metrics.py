"""A reading's metrics travel with its day: measured on the device that saved it, shown on the
member's other device (which has only a `remote:` placeholder of the file), the read-aloud
check's result too, without the check making the morning newer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chris_app.services import reading_metrics, recordings
from chris_app.sync import pulled
from chris_app.sync.snapshot import snapshot
from fake_server import FakeTransport
from sync_helpers import MORNING, USER, engine_for, record_morning
from tests.conftest import wav_bytes


def only_day(store):
    return store.query("select * from daily_sessions")[0]


def test_metrics_and_the_check_reach_the_other_device(server, device, other_device):
    a, b = engine_for(device, FakeTransport(server)), engine_for(other_device, FakeTransport(server))
    rec = recordings.import_audio_file(device, MORNING, "reading.wav", wav_bytes(21))
    measured = reading_metrics.figures_of(device, rec.id)
    assert measured.speaking_s == pytest.approx(21, abs=0.1)
    a.sync_once()
    (row,) = server.sessions.values()
    assert row["recording_speaking_ms"] == round(measured.speaking_s * 1000)
    assert row["recording_loudness_dbfs"] == pytest.approx(measured.loudness_dbfs, abs=0.01)
    assert (row["read_coverage"], row["words_per_minute"]) == (None, None)

    b.sync_once()
    there = reading_metrics.figures_of(other_device, only_day(other_device)["recording_id"])
    assert there.speaking_s == measured.speaking_s
    assert there.loudness_dbfs == pytest.approx(measured.loudness_dbfs, abs=0.01)

    morning_stamp = row["morning_updated_at"]
    reading_metrics.record_check(device, MORNING + timedelta(minutes=3), rec.id, 0.94, 132.7)
    a.sync_once()
    assert (row["read_coverage"], row["words_per_minute"]) == (0.94, 132.7)
    assert row["morning_updated_at"] == morning_stamp  # the check is no newer morning
    b.sync_once()
    there = reading_metrics.figures_of(other_device, only_day(other_device)["recording_id"])
    assert (there.read_coverage, there.words_per_minute) == (0.94, 132.7)
    assert snapshot(device.conn, USER) == snapshot(other_device.conn, USER)


def test_a_late_check_of_a_replaced_reading_does_not_land_on_the_newer_one(server, device, other_device):
    a, b = engine_for(device, FakeTransport(server)), engine_for(other_device, FakeTransport(server))
    old = recordings.import_audio_file(device, MORNING, "a.wav", wav_bytes(21))
    a.sync_once()
    b.sync_once()
    newer = recordings.import_audio_file(other_device, MORNING + timedelta(minutes=10), "b.wav", wav_bytes(25))
    b.sync_once()
    reading_metrics.record_check(device, MORNING + timedelta(minutes=20), old.id, 0.5, 90.0)
    a.sync_once()  # pushes the old reading's check, then pulls the newer reading
    (row,) = server.sessions.values()
    assert row["recording_sha256"] == newer.sha256
    assert (row["read_coverage"], row["recording_speaking_ms"]) == (None, round(
        reading_metrics.figures_of(other_device, newer.id).speaking_s * 1000))
    mine = reading_metrics.figures_of(device, only_day(device)["recording_id"])
    assert mine.read_coverage is None and mine.speaking_s == pytest.approx(25, abs=0.1)


def test_a_reading_that_could_not_be_measured_syncs_without_metrics(server, device):
    record_morning(device, MORNING)  # not decodable audio: saved, not measured
    engine_for(device, FakeTransport(server)).sync_once()
    (row,) = server.sessions.values()
    assert row["morning_completed"] and row["recording_speaking_ms"] is None


@pytest.mark.parametrize("bad", [{"read_coverage": 7}, {"words_per_minute": "fast"},
                                 {"recording_loudness_dbfs": True}, {"recording_speaking_ms": -5}])
def test_a_bad_pulled_metric_is_left_out_and_the_day_kept(bad):
    day = pulled.PulledSession.model_validate({"id": "d1", "date": "2026-06-10", "morning_completed": True,
                                               "read_coverage": 0.9, "words_per_minute": 120} | bad)
    assert day.morning_completed
    (key,) = bad
    assert getattr(day, key) is None
