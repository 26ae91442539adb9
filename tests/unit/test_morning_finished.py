"""The "morning finished" rule and the step the morning opens at, for all 16 combinations."""

import itertools

import pytest

from chris_app.domain.days import first_unfinished_step, morning_finished

# (recorded, board_viewed, board_empty, action_set) -> the step /morning opens at
EXPECTED = {
    (False, False, False, False): "record",
    (False, False, False, True): "record",
    (False, False, True, False): "record",
    (False, False, True, True): "record",
    (False, True, False, False): "record",
    (False, True, False, True): "record",
    (False, True, True, False): "record",
    (False, True, True, True): "record",
    (True, False, False, False): "board",
    (True, False, False, True): "board",
    (True, False, True, False): "action",
    (True, False, True, True): "done",
    (True, True, False, False): "action",
    (True, True, False, True): "done",
    (True, True, True, False): "action",
    (True, True, True, True): "done",
}


def test_the_table_covers_every_combination():
    assert set(EXPECTED) == set(itertools.product((False, True), repeat=4))


@pytest.mark.parametrize(("inputs", "step"), sorted(EXPECTED.items()))
def test_the_morning_opens_at_its_first_unfinished_step(inputs, step):
    assert first_unfinished_step(*inputs) == step


@pytest.mark.parametrize(("inputs", "step"), sorted(EXPECTED.items()))
def test_the_morning_is_finished_exactly_when_no_step_is_left(inputs, step):
    assert morning_finished(*inputs) is (step == "done")


def test_an_empty_board_never_holds_the_morning_up():
    assert morning_finished(recorded=True, board_viewed=False, board_empty=True, action_set=True)


def test_a_board_with_images_must_be_viewed():
    assert not morning_finished(recorded=True, board_viewed=False, board_empty=False, action_set=True)
    assert first_unfinished_step(recorded=True, board_viewed=False, board_empty=False, action_set=True) == "board"
