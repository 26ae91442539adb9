"""Records through real PortAudio, with ALSA's ``file`` plugin standing in for a microphone.

No sound card, PulseAudio or root is needed: an ``.asoundrc`` in a temporary HOME defines a
capture PCM that reads raw 48 kHz float32 speech from a file (over ALSA's ``null`` device), and
PortAudio lists it like any other input. The file is float32 because that is what the recorder
asks for: when ``plug`` has to convert formats in front of the ``file`` plugin, the captured
audio comes out scrambled (right level, wrong samples; seen with alsa-lib 1.2.8). The ``null``
device does not pace capture in real time, so 25 seconds of "recording" take a fraction of a
second.

PortAudio reads the ALSA configuration once, when sounddevice is imported, so the recording runs
in a child process with that HOME. It skips only when PortAudio lists no such input device
(e.g. libasound missing, or another OS).
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf

from .conftest import SR

ASOUNDRC = """
pcm.chris_speech_file {{
    type file
    slave.pcm "null"
    file "/dev/null"
    infile "{raw}"
    format "raw"
}}
pcm.chris_speech {{
    type plug
    slave {{ pcm "chris_speech_file"; format FLOAT_LE; rate 48000; channels 1 }}
}}
"""

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from chris_app.audio.capture import Recorder, RecorderState, list_input_devices, resolve_device

    devices = list_input_devices()
    index = resolve_device("chris_speech", devices)
    if index is None:
        names = [d.name for d in devices]
        print(json.dumps({"skip": f"PortAudio lists no 'chris_speech' input, only {names}"}))
        sys.exit(0)
    recorder = Recorder(sys.argv[1], device=index, max_seconds=25)
    recorder.start()
    deadline = time.monotonic() + 60
    while recorder.state is RecorderState.RECORDING and time.monotonic() < deadline:
        time.sleep(0.01)
    state = recorder.state.value
    take = recorder.stop()
    report = take.quality()
    rec = take.save() if report.ok else None
    print(json.dumps({
        "state": state,
        "ok": report.ok,
        "reason": report.reason,
        "overflows": recorder.overflows,
        "duration_ms": rec and rec.duration_ms,
    }))
    """
)


def test_a_reading_recorded_through_real_portaudio_is_saved(tmp_path, speech_60s):
    raw = tmp_path / "speech.raw"
    speech_60s.astype("<f4").tofile(raw)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text(ASOUNDRC.format(raw=raw))
    dest = tmp_path / "day.ogg"

    env = dict(os.environ, HOME=str(home))
    env.pop("ALSA_CONFIG_PATH", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(dest)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if "skip" in result:
        pytest.skip(result["skip"])

    assert result["state"] == "limit_reached"
    assert result["ok"], result["reason"]
    assert result["duration_ms"] == 25_000
    decoded, sr = sf.read(str(dest), dtype="float32")
    assert sr == SR
    assert abs(decoded.shape[0] - 25 * SR) <= 0.05 * SR
    # The speech itself came through, in order: each second matches the source's same second
    # (Opus keeps the waveform closely at this rate; its delay is compensated by pre-skip).
    for second in (0, 12, 24):
        a = speech_60s[second * SR : (second + 1) * SR]
        b = decoded[second * SR : (second + 1) * SR]
        assert np.corrcoef(a, b)[0, 1] > 0.9
