"""The "morning finished" rule, the step the morning opens at and each step's state, for all 16
combinations; and the completed day, which looks at the recorded reading alone."""

import itertools

import pytest

from chris_app.domain.days import (MORNING_STEPS, day_completed, first_unfinished_step, morning_finished,
                                   morning_steps_done)

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


@pytest.mark.parametrize(("inputs", "step"), sorted(EXPECTED.items()))
def test_the_steps_done_are_the_ones_before_the_first_unfinished_step_or_after_it(inputs, step):
    done = morning_steps_done(*inputs)
    assert list(done) == list(MORNING_STEPS)
    # the step the morning opens at is the first not done; every step before it is done
    assert [k for k in MORNING_STEPS if not done[k]][:1] == ([] if step == "done" else [step])
    recorded, board_viewed, board_empty, action_set = inputs
    assert done == {"record": recorded, "board": board_viewed or board_empty, "action": action_set}


@pytest.mark.parametrize("inputs", sorted(EXPECTED))
def test_a_day_is_completed_by_its_recorded_reading_whatever_else_was_done(inputs):
    recorded = inputs[0]
    assert day_completed(recorded) is recorded
    # a finished morning is always a completed day; a completed day need not be a finished morning
    if morning_finished(*inputs):
        assert day_completed(recorded)
