import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chris_app.errors import InvalidInput, NotFound
from chris_app.library import library
from chris_app.services import affirmations, day, recordings, summary, vision_board
from chris_app.services.profile import get_profile, get_settings, today, update_profile, update_settings
from tests.conftest import MORNING, wav_bytes

EVENING = MORNING + timedelta(hours=16)  # 21:30 Berlin
AFTER_MIDNIGHT = MORNING + timedelta(hours=19, minutes=10)  # 00:40 Berlin, next calendar day
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def outbox(store):
    return [tuple(r) for r in store.query("select entity, op from outbox order by seq")]


def test_a_new_guest_gets_a_profile_in_their_device_time_zone_and_starter_affirmations(store):
    profile = get_profile(store)
    assert profile.timezone == "Europe/Berlin"
    assert profile.first_day == date(2026, 6, 10)
    assert len(affirmations.active(store).lines) >= 5
    assert affirmations.active(store).version == 1


def test_a_guest_does_a_full_protocol_day_and_gets_a_streak_of_one(store):
    rec = recordings.import_audio_file(store, MORNING, "reading.wav", wav_bytes(21))
    assert rec.duration_ms == 21000 and rec.path.exists() and len(rec.sha256) == 64
    day.mark_vision_board_viewed(store, MORNING)
    action = library()[0]
    day.set_action(store, MORNING, "", library_id=action.id)
    day.save_evening(store, AFTER_MIDNIGHT, action_completed=True, discipline_rating=8, biggest_win="Called 5 leads")
    session = day.get_day(store, date(2026, 6, 10))
    assert session.morning_completed and session.vision_board_viewed and session.evening_completed
    assert session.violent_action == action.action and session.violent_action_id == action.id
    assert session.affirmations_version == 1 and session.discipline_rating == 8
    home = summary.home(store, EVENING)
    assert home.stats.current_streak == 1 and home.stats.longest_streak == 1
    assert home.stats.completion_rate == Decimal("100.00")
    assert home.stats.average_rating == Decimal("8.0")
    assert home.next_step == "/progress"


def test_an_evening_review_after_midnight_counts_for_the_previous_day(store):
    assert today(store, AFTER_MIDNIGHT) == date(2026, 6, 10)
    assert today(store, MORNING + timedelta(days=1)) == date(2026, 6, 11)


@pytest.mark.parametrize("fields, problem", [
    ({"action_completed": True, "discipline_rating": 11, "biggest_win": "x"}, "discipline_rating"),
    ({"action_completed": True, "discipline_rating": 0, "biggest_win": "x"}, "discipline_rating"),
    ({"action_completed": True, "discipline_rating": 7, "biggest_win": "w" * 1001}, "biggest_win"),
])
def test_a_bad_evening_review_is_refused_with_a_sentence_and_nothing_is_saved(store, fields, problem):
    with pytest.raises(InvalidInput) as err:
        day.save_evening(store, EVENING, **fields)
    assert problem in err.value.problems
    assert err.value.message.endswith(".")
    assert day.get_day(store, date(2026, 6, 10)) is None
    assert outbox(store) == [("affirmations", "upsert")]  # only the starter set


def test_the_evening_review_can_be_corrected_until_the_day_ends(store):
    day.set_action(store, MORNING, "Ask for the raise")
    day.save_evening(store, EVENING, action_completed=False, discipline_rating=4, biggest_win="a")
    day.save_evening(store, AFTER_MIDNIGHT, action_completed=True, discipline_rating=6, biggest_win="b")
    s = day.get_day(store, date(2026, 6, 10))
    assert (s.action_completed, s.discipline_rating, s.biggest_win) == (True, 6, "b")
    next_day = MORNING + timedelta(days=1)
    day.save_evening(store, next_day, action_completed=True, discipline_rating=9, biggest_win="c")
    assert day.get_day(store, date(2026, 6, 10)).discipline_rating == 6  # the past day is untouched


def test_a_hand_written_action_is_validated(store):
    with pytest.raises(InvalidInput, match="3 to 280 characters"):
        day.set_action(store, MORNING, "no")
    assert day.set_action(store, MORNING, "  Ask for the raise  ").violent_action == "Ask for the raise"


def test_a_too_short_recording_is_refused_and_the_morning_stays_open(store):
    with pytest.raises(InvalidInput, match="at least 20 seconds"):
        recordings.import_audio_file(store, MORNING, "short.wav", wav_bytes(5))
    assert day.get_day(store, date(2026, 6, 10)) is None
    assert recordings.list_recordings(store) == []


@pytest.mark.parametrize("name, data, message", [
    ("reading.m4a", b"....", "OGG, Opus, WAV, FLAC or MP3"),
    ("reading.wav", b"", "empty"),
    ("reading.wav", b"not audio at all" * 10, "could not be read"),
])
def test_a_file_that_is_not_usable_audio_is_refused(store, name, data, message):
    with pytest.raises(InvalidInput, match=message):
        recordings.import_audio_file(store, MORNING, name, data)


def test_re_recording_replaces_the_days_take_and_keeps_the_first_completion_time(store):
    first = recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))
    completed_at = store.query("select morning_completed_at from daily_sessions")[0][0]
    second = recordings.import_audio_file(store, MORNING + timedelta(minutes=5), "b.wav", wav_bytes(25))
    assert [r.id for r in recordings.list_recordings(store)] == [second.id]
    assert not first.path.exists() and second.path.exists()
    session = day.get_day(store, date(2026, 6, 10))
    assert session.recording_id == second.id
    assert store.query("select morning_completed_at from daily_sessions")[0][0] == completed_at


def test_a_failed_save_keeps_the_previous_good_recording(store, monkeypatch):
    good = recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))

    def fail(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(recordings, "complete_morning", fail)
    with pytest.raises(RuntimeError):
        recordings.import_audio_file(store, MORNING, "b.wav", wav_bytes(30))
    assert [r.id for r in recordings.list_recordings(store)] == [good.id]
    assert good.path.exists()
    assert sorted(p.name for p in good.path.parent.iterdir()) == [good.path.name]


def test_editing_affirmations_creates_a_new_active_version_and_restore_brings_an_old_one_back(store):
    v2 = affirmations.save_new_version(store, MORNING, "I ship every day.")
    assert v2.version == 2
    assert affirmations.save_new_version(store, MORNING, "I ship every day.").version == 2  # unchanged
    v3 = affirmations.restore(store, MORNING, 1)
    assert v3.version == 3 and v3.content == affirmations.history(store)[-1].content
    assert [a.is_active for a in affirmations.history(store)] == [True, False, False]
    with pytest.raises(NotFound):
        affirmations.restore(store, MORNING, 42)
    with pytest.raises(InvalidInput):
        affirmations.save_new_version(store, MORNING, "   ")


def test_the_morning_records_which_affirmations_version_was_read(store):
    affirmations.save_new_version(store, MORNING, "New words.")
    recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))
    assert day.get_day(store, date(2026, 6, 10)).affirmations_version == 2


def test_vision_board_tiles_are_added_captioned_moved_and_removed(store):
    vision_board.set_tile(store, MORNING, 1, PNG, "House by the sea")
    vision_board.set_tile(store, MORNING, 2, b"\xff\xd8\xff" + b"\0" * 10)
    vision_board.set_caption(store, MORNING, 2, "Marathon")
    vision_board.move_tile(store, MORNING, 1, 2)
    assert [(t.position, t.caption) for t in vision_board.tiles(store)] == [(1, "Marathon"), (2, "House by the sea")]
    vision_board.move_tile(store, MORNING, 2, 8)
    assert [t.position for t in vision_board.tiles(store)] == [1, 8]
    removed = vision_board.tiles(store)[0].image_path
    vision_board.remove_tile(store, MORNING, 1)
    assert not removed.exists() and [t.position for t in vision_board.tiles(store)] == [8]
    deletes = store.query("select payload from outbox where op = 'delete'")
    # what the server needs to empty a position: the one the tile left (2 → 8) and the removed one
    assert [json.loads(r[0])["position"] for r in deletes] == [2, 1]


@pytest.mark.parametrize("position, image, caption, field", [
    (9, PNG, None, "position"),
    (0, PNG, None, "position"),
    (1, b"GIF", None, "image"),
    (1, b"hello world", None, "image"),
    (1, PNG, "c" * 141, "caption"),
])
def test_bad_vision_board_input_is_refused_and_nothing_is_stored(store, position, image, caption, field):
    with pytest.raises(InvalidInput) as err:
        vision_board.set_tile(store, MORNING, position, image, caption)
    assert field in err.value.problems
    assert vision_board.tiles(store) == []
    assert not (store.files_dir / "vision").exists() or not any((store.files_dir / "vision").iterdir())


def test_settings_and_profile_changes_are_validated(store):
    update_profile(store, MORNING, timezone="Asia/Tokyo", day_start_hour=4, morning_time="06:15")
    assert get_profile(store).timezone == "Asia/Tokyo"
    with pytest.raises(InvalidInput, match="time zone"):
        update_profile(store, MORNING, timezone="Nowhere/Land")
    with pytest.raises(InvalidInput, match="HH:MM"):
        update_profile(store, MORNING, evening_time="25:00")
    update_settings(store, MORNING, theme="dark", min_recording_seconds=30)
    assert get_settings(store).theme == "dark"
    with pytest.raises(InvalidInput, match="light, dark or system"):
        update_settings(store, MORNING, theme="neon")


def test_changing_time_zone_never_rewrites_past_days(store):
    recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))
    update_profile(store, MORNING, timezone="America/Los_Angeles")
    assert [d.date for d in day.all_days(store)] == [date(2026, 6, 10)]
    # 03:30 UTC is 20:30 the previous evening in Los Angeles: that is 9 June there now.
    assert today(store, MORNING) == date(2026, 6, 9)


def test_every_change_is_queued_once_per_row_for_sync(store):
    recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))
    day.mark_vision_board_viewed(store, MORNING)
    day.set_action(store, MORNING, "Ask for the raise")
    assert outbox(store) == [("affirmations", "upsert"), ("recordings", "upsert"), ("daily_sessions", "upsert")]
