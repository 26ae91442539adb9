"""Three library actions for the morning, matched to how hard the member has been pushing.

The target difficulty starts from the difficulty of the member's recent library actions and
moves with how their evenings went: mostly done → one step harder, mostly not done → one step
easier (a bold move should stretch, not crush). Without a history the target is
STARTING_DIFFICULTY. The three picks come from different categories where possible, skip the
actions of the recent days, and vary from day to day (deterministic for a given day, so the
screen shows the same three all morning).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from chris_app.library import LibraryAction

STARTING_DIFFICULTY = 4
MIN_DIFFICULTY, MAX_DIFFICULTY = 1, 10
MOSTLY_DONE, MOSTLY_NOT_DONE = 0.7, 0.3  # share of answered evenings with the action done


@dataclass(frozen=True, slots=True)
class RecentAction:
    """One recent day's action: its library difficulty (None for an action written by hand)
    and whether the evening said it was done (None: not answered)."""

    action_id: str | None
    difficulty: int | None
    completed: bool | None


def target_difficulty(recent: Sequence[RecentAction]) -> int:
    rated = [r.difficulty for r in recent if r.difficulty is not None]
    base = round(sum(rated) / len(rated)) if rated else STARTING_DIFFICULTY
    answered = [r.completed for r in recent if r.completed is not None]
    if answered:
        share = sum(answered) / len(answered)
        if share >= MOSTLY_DONE:
            base += 1
        elif share <= MOSTLY_NOT_DONE:
            base -= 1
    return max(MIN_DIFFICULTY, min(MAX_DIFFICULTY, base))


def _shuffle_key(day: date, action: LibraryAction) -> str:
    return hashlib.sha256(f"{day.isoformat()}:{action.id}".encode()).hexdigest()


def suggest(actions: Sequence[LibraryAction], recent: Sequence[RecentAction], day: date,
            count: int = 3) -> list[LibraryAction]:
    """`count` actions closest to the target difficulty, from different categories first,
    none of the recent ones (unless the library has nothing else)."""
    target = target_difficulty(recent)
    used = {r.action_id for r in recent if r.action_id}
    pool = [a for a in actions if a.id not in used] or list(actions)
    ranked = sorted(pool, key=lambda a: (abs(a.difficulty - target), _shuffle_key(day, a)))
    picks: list[LibraryAction] = []
    for a in ranked:  # the best match of each category first
        if len(picks) < count and all(p.category != a.category for p in picks):
            picks.append(a)
    for a in ranked:  # then fill up when there are fewer categories than picks
        if len(picks) < count and a not in picks:
            picks.append(a)
    return picks
