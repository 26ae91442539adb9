"""The built-in violent actions library (generated from supabase/seed.sql)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

CATEGORIES = ("business", "personal", "relationship", "health")


@dataclass(frozen=True, slots=True)
class LibraryAction:
    id: str
    category: str
    action: str
    description: str
    difficulty: int


@cache
def library() -> tuple[LibraryAction, ...]:
    raw = resources.files("chris_app").joinpath("data", "violent_actions.json").read_text("utf-8")
    return tuple(LibraryAction(**item) for item in json.loads(raw))


def by_category(category: str) -> list[LibraryAction]:
    return [a for a in library() if a.category == category]


def find(action_id: str) -> LibraryAction | None:
    return next((a for a in library() if a.id == action_id), None)
