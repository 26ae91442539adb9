"""The morning's three library suggestions follow the member's recent difficulty."""

from datetime import date

from chris_app.domain.suggestions import STARTING_DIFFICULTY, RecentAction, suggest, target_difficulty
from chris_app.library import LibraryAction, library

DAY = date(2026, 6, 10)


def act(i: int, category: str, difficulty: int) -> LibraryAction:
    return LibraryAction(id=f"a{i}", category=category, action=f"Action {i}", description="", difficulty=difficulty)


def test_a_new_member_starts_at_the_starting_difficulty():
    assert target_difficulty([]) == STARTING_DIFFICULTY


def test_the_target_is_the_recent_difficulty_when_the_evenings_are_mixed():
    recent = [RecentAction("x", 6, True), RecentAction("y", 6, False)]
    assert target_difficulty(recent) == 6


def test_actions_mostly_done_raise_the_target_by_one_step():
    recent = [RecentAction("x", 5, True), RecentAction("y", 5, True), RecentAction("z", 5, True)]
    assert target_difficulty(recent) == 6


def test_actions_mostly_not_done_lower_the_target_by_one_step():
    recent = [RecentAction("x", 7, False), RecentAction("y", 7, False), RecentAction("z", 7, None)]
    assert target_difficulty(recent) == 6


def test_actions_written_by_hand_count_for_the_evenings_only():
    assert target_difficulty([RecentAction(None, None, True)]) == STARTING_DIFFICULTY + 1


def test_the_target_stays_between_one_and_ten():
    assert target_difficulty([RecentAction("x", 10, True)]) == 10
    assert target_difficulty([RecentAction("x", 1, False)]) == 1


def test_three_suggestions_from_three_categories_closest_to_the_target():
    actions = [act(1, "health", 3), act(2, "health", 4), act(3, "business", 4), act(4, "business", 9),
               act(5, "personal", 5), act(6, "personal", 1), act(7, "relationship", 10)]
    picks = suggest(actions, [], DAY)
    assert sorted(a.id for a in picks) == ["a2", "a3", "a5"]  # target 4: 4, 4, 5 in three categories


def test_a_member_who_has_been_doing_hard_actions_gets_hard_suggestions():
    recent = [RecentAction(None, 8, True)] * 3  # target 9
    picks = suggest(library(), recent, DAY)
    assert len(picks) == 3 and len({a.category for a in picks}) == 3
    assert all(a.difficulty >= 7 for a in picks), [a.difficulty for a in picks]


def test_a_member_who_has_been_struggling_gets_easier_suggestions():
    recent = [RecentAction(None, 4, False)] * 3  # target 3
    picks = suggest(library(), recent, DAY)
    assert all(a.difficulty <= 4 for a in picks), [a.difficulty for a in picks]


def test_recent_actions_are_not_suggested_again():
    everything = suggest(library(), [], DAY, count=3)
    recent = [RecentAction(a.id, a.difficulty, None) for a in everything]
    again = suggest(library(), recent, DAY)
    assert not {a.id for a in again} & {a.id for a in everything}


def test_the_same_day_gives_the_same_three_and_other_days_vary():
    first = suggest(library(), [], DAY)
    assert suggest(library(), [], DAY) == first
    week = {tuple(a.id for a in suggest(library(), [], date(2026, 6, d))) for d in range(1, 8)}
    assert len(week) > 1


def test_fewer_categories_than_picks_still_give_three():
    actions = [act(1, "health", 4), act(2, "health", 5), act(3, "health", 6)]
    assert len(suggest(actions, [], DAY)) == 3
