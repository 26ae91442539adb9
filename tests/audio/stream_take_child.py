"""A recording that gets killed: the child process of test_stream_kill.

Records a streamed take the way the app's recorder screen does (``recordings.new_stream_take``
and ``feed`` for every chunk) from a 44.1 kHz stereo WAV, into the store at ``data_dir``.
Prints ``READY <bytes>`` once ``seconds`` of audio were fed (and, when the format was decided,
once the encoder has started writing Opus), then keeps feeding in real time until the test
SIGKILLs it. Not a test module.

    python -m tests.audio.stream_take_child DATA_DIR WAV SECONDS
"""

import sys
import time
from pathlib import Path

import soundfile as sf

from chris_app.services import recordings
from chris_app.store import open_store
from tests.conftest import MORNING

CHUNK = 8192  # what Chromium streams through Flet
BYTE_RATE = 44100 * 2 * 2


def main(data_dir: str, wav: str, seconds: str) -> None:
    data, rate = sf.read(wav, dtype="int16")
    assert rate == 44100 and data.shape[1] == 2
    payload = data.tobytes()
    store = open_store(Path(data_dir) / "chris.sqlite3")
    take = recordings.new_stream_take(store, MORNING)
    ready_at = int(float(seconds) * BYTE_RATE)
    sent = 0
    while sent < ready_at:
        chunk = payload[sent : min(sent + CHUNK, ready_at)]
        sent += len(chunk)
        take.feed(chunk, at=0.45 + sent / BYTE_RATE)
    while take.format is not None and take.encoded_bytes == 0:
        time.sleep(0.01)  # the encoder thread has a partial Opus file open
    print(f"READY {sent}", flush=True)
    while sent < len(payload):  # the member reads on, until the app is killed
        chunk = payload[sent : sent + CHUNK]
        sent += len(chunk)
        take.feed(chunk, at=0.45 + sent / BYTE_RATE)
        time.sleep(len(chunk) / BYTE_RATE)
    time.sleep(3600)


if __name__ == "__main__":
    main(*sys.argv[1:])
