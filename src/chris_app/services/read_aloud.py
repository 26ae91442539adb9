"""The read-aloud check on this device (issue 16; docs/read-aloud.md): the member's consent, and
one check of a saved reading — its audio transcribed by the `transcribe-reading` edge function
(OpenAI), compared with the active affirmations (domain/read_aloud.py), the results stored
with the reading (`reading_metrics.record_check`, synced with the day).

Consent is given on this device, for the member signed in: a device flag (device_flags, never
synced) whose value is that member's id, so another account signed in here later is not taken
as having agreed."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chris_app.domain.read_aloud import ReadAloudCheck, check
from chris_app.errors import ChrisError
from chris_app.services import affirmations, reading_metrics
from chris_app.services._rows import stamp
from chris_app.services.recordings import get_recording
from chris_app.store import Store

CONSENT = "read_aloud_check"
FUNCTION = "transcribe-reading"
# The function allows up to two minutes for OpenAI; the app waits a little longer than that.
TIMEOUT_S = 150.0

CallFunction = Callable[..., dict[str, Any]]  # Account.call_function(name, body, timeout=...)


def consented(store: Store, member_id: str | None) -> bool:
    """Whether `member_id` turned the check on on this device."""
    if not member_id:
        return False
    return bool(store.query("select 1 from device_flags where name = ? and value = ?", (CONSENT, member_id)))


def set_consent(store: Store, now: datetime, member_id: str, on: bool) -> None:
    with store.transaction() as conn:
        if on:
            conn.execute("insert into device_flags (name, value, updated_at) values (?, ?, ?)"
                         " on conflict (name) do update set value = excluded.value, updated_at = excluded.updated_at",
                         (CONSENT, member_id, stamp(now)))
        else:
            conn.execute("delete from device_flags where name = ?", (CONSENT,))


def stored_check(store: Store, recording_id: str) -> ReadAloudCheck | None:
    """The check already stored with this reading, if any."""
    figures = reading_metrics.figures_of(store, recording_id)
    if figures is None or figures.read_coverage is None:
        return None
    return ReadAloudCheck(figures.read_coverage, figures.words_per_minute)


def run_check(store: Store, now: datetime, recording_id: str, call: CallFunction) -> ReadAloudCheck:
    """Transcribe the saved reading through the edge function, score it and store the result.
    Blocking (run it off the UI thread). Any failure is a ChrisError with a sentence for the
    member; nothing is stored then."""
    recording = get_recording(store, recording_id)
    try:
        audio = recording.path.read_bytes()
    except OSError:
        raise ChrisError("This reading's audio is not on this device.") from None
    answer = call(FUNCTION, {"audio": base64.b64encode(audio).decode("ascii")}, timeout=TIMEOUT_S)
    transcript = answer.get("text")
    if not isinstance(transcript, str):
        raise ChrisError("The server gave an unusable answer. Try again later.")
    figures = reading_metrics.figures_of(store, recording_id)
    # The voiced time when it was measured; the whole reading otherwise.
    seconds = (figures.speaking_s or figures.duration_s) if figures else recording.duration_ms / 1000
    result = check("\n".join(affirmations.active(store).lines), transcript, seconds)
    pace = min(result.words_per_minute or 0.0, reading_metrics.MAX_WORDS_PER_MINUTE)
    reading_metrics.record_check(store, now, recording_id, result.coverage, pace)
    return ReadAloudCheck(result.coverage, pace if seconds > 0 else None)
