"""Recording again replaces the day's reading (its row and file are deleted). A screen or a
background check may still hold the old reading's id for a moment: finding it gives None, and
the read-aloud check gets a sentence for the member instead of an IndexError (which, raised
while a screen redraws, used to stop every later redraw of the session)."""

from datetime import timedelta

import pytest

from chris_app.errors import NotFound
from chris_app.services import read_aloud, recordings
from tests.conftest import MORNING

from .conftest import SR


def test_a_replaced_reading_is_not_found_and_the_check_of_it_says_so(store, speech_60s):
    first = recordings.save_samples(store, MORNING, speech_60s[: 21 * SR], SR)
    second = recordings.save_samples(store, MORNING + timedelta(minutes=5), speech_60s[: 25 * SR], SR)

    assert recordings.find_recording(store, first.id) is None
    assert not first.path.exists()
    assert recordings.find_recording(store, second.id) == recordings.get_recording(store, second.id)
    with pytest.raises(NotFound, match="no longer on this device"):
        recordings.get_recording(store, first.id)

    called = []
    with pytest.raises(NotFound):  # the app shows its message; the provider is never called
        read_aloud.run_check(store, MORNING, first.id, lambda *a, **k: called.append(a) or {"text": ""})
    assert called == []
