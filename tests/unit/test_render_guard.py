"""The render guard (chris_app/views/render_guard.py): Flet's updates scheduler redraws
components with nothing around them, so one exception in a component body would end it and
freeze every screen of the session. The guard logs the failure and lets the redraws go on."""

from __future__ import annotations

import logging

import pytest
from flet.components.component import Component

from chris_app.views import render_guard


class Part:
    fn = "ReadingStep"

    def __init__(self, fails: bool) -> None:
        self.fails = fails
        self.drawn = 0

    def update(self) -> None:
        if self.fails:
            raise IndexError("a reading that was just replaced")
        self.drawn += 1


def test_a_part_that_fails_to_draw_is_logged_and_the_next_one_is_still_drawn(caplog):
    update = render_guard.guarded(Part.update)
    broken, fine = Part(fails=True), Part(fails=False)
    with caplog.at_level(logging.ERROR, logger="chris_app.views"):
        for part in (broken, fine):  # as the scheduler goes through its pending updates
            update(part)
    assert fine.drawn == 1
    [record] = caplog.records
    assert record.levelno == logging.ERROR and "ReadingStep" in record.getMessage()
    assert record.exc_info[0] is IndexError  # the traceback goes to the log and the error report


def test_only_exceptions_are_caught_not_a_cancelled_session():
    class Stopped(Part):
        def update(self) -> None:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_guard.guarded(Stopped.update)(Stopped(fails=False))


def test_install_wraps_flets_component_update_once(monkeypatch):
    original = getattr(Component.update, "__wrapped__", Component.update)  # an app may have run here
    monkeypatch.setattr(Component, "update", original)  # restored after the test
    render_guard.install()
    wrapped = Component.update
    assert wrapped is not original and wrapped.__wrapped__ is original
    render_guard.install()
    assert Component.update is wrapped  # a second page handler does not wrap it again
