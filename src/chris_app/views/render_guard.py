"""Keep the screens alive when one part fails to draw.

Flet 1.0.5 redraws components from one background task per session (its updates scheduler).
That task catches nothing around a component's redraw: one exception in any component body
ends the task, and from then on no change reaches the member's screen: a spinner turns
forever, a saved reading never shows, and nothing is logged. `install()` wraps
`Component.update` so a failing redraw is logged (and reported, for members who turned error
reports on: chris_app/reporting.py sends logged errors) and the scheduler goes on; the part
that failed keeps what it showed last and is drawn again at its next change."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flet.components.component import Component

log = logging.getLogger("chris_app.views")


def guarded(update: Callable[[Any], None]) -> Callable[[Any], None]:
    """`update` that logs an exception instead of raising it."""
    if getattr(update, "_chris_guarded", False):
        return update

    @functools.wraps(update)
    def guarded_update(self) -> None:
        try:
            update(self)
        except Exception:
            log.exception("a part of the screen could not be drawn: %s", getattr(self, "fn", self))

    guarded_update._chris_guarded = True  # type: ignore[attr-defined]
    return guarded_update


def install() -> None:
    """Wrap Component.update once (calling it again changes nothing)."""
    Component.update = guarded(Component.update)  # type: ignore[method-assign]
