"""Home's next step and the morning's suggestions, from the store."""

from datetime import timedelta

from chris_app.library import find, library
from chris_app.services import day, recordings, summary, vision_board
from tests.conftest import MORNING, wav_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_home_leads_to_the_morning_until_the_board_was_viewed_when_it_has_images(store):
    vision_board.set_tile(store, MORNING, 1, PNG)
    recordings.import_audio_file(store, MORNING, "reading.wav", wav_bytes(21))
    day.set_action(store, MORNING, "Call the client")
    assert summary.home(store, MORNING).next_step == "/morning"
    day.mark_vision_board_viewed(store, MORNING)
    assert summary.home(store, MORNING).next_step == "/evening"


def test_an_empty_board_does_not_hold_home_at_the_morning(store):
    recordings.import_audio_file(store, MORNING, "reading.wav", wav_bytes(21))
    assert summary.home(store, MORNING).next_step == "/morning"  # no action yet
    day.set_action(store, MORNING, "Call the client")
    home = summary.home(store, MORNING)
    assert home.board_empty and home.next_step == "/evening"


def test_the_morning_step_follows_the_day(store):
    vision_board.set_tile(store, MORNING, 1, PNG)
    assert day.morning_step(day.get_day(store, MORNING.date()), day.board_is_empty(store)) == "record"
    recordings.import_audio_file(store, MORNING, "reading.wav", wav_bytes(21))
    assert day.morning_step(day.get_day(store, MORNING.date()), False) == "board"


def test_suggestions_get_harder_after_a_week_of_actions_done(store):
    hard = [a for a in library() if a.difficulty == 7]
    used = set()
    for i in range(1, 6):
        then = MORNING - timedelta(days=i)
        used.add(hard[i % len(hard)].id)
        day.set_action(store, then, "", library_id=hard[i % len(hard)].id)
        day.save_evening(store, then + timedelta(hours=14), action_completed=True, discipline_rating=8,
                         biggest_win="Did it")
    picks = day.action_suggestions(store, MORNING)
    assert len(picks) == 3
    assert all(p.difficulty >= 7 for p in picks), [p.difficulty for p in picks]
    assert not {p.id for p in picks} & used  # none of the recent ones again


def test_a_new_member_gets_three_starting_suggestions(store):
    picks = day.action_suggestions(store, MORNING)
    assert len(picks) == 3 and all(find(p.id) for p in picks)
    assert all(3 <= p.difficulty <= 5 for p in picks)
