"""Real PCM16 chunks from Flet's AudioRecorder in headless Chromium, through Pcm16Assembler.

Chromium's fake microphone plays a speech WAV (48 kHz mono). The recorder is configured for
48 kHz mono, yet Chromium streams 44.1 kHz stereo (seen with Chromium 13x and Flet 1.0.5, also
when configured for 44.1 kHz stereo or 16 kHz mono): this test pins that fact and proves the
assembler, told the real format, reproduces the speech sample for sample, and that the byte-rate
check refuses the configured one.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from chris_app.audio.encoder import encode_opus
from chris_app.audio.errors import StreamFormatError
from chris_app.audio.quality import check_quality
from chris_app.audio.resample import Resampler
from chris_app.audio.stream import Pcm16Assembler
from chris_app.audio.web_take import FormatClock

from tests.browser.conftest import CHROMIUM, free_port, stop_process, wait_until_served

from .conftest import SR, synthesize_speech

pytestmark = pytest.mark.browser

APP = Path(__file__).with_name("flet_stream_app.py")
RECORD_MS = 6000




@pytest.fixture(scope="module")
def chromium_chunks(tmp_path_factory, playwright):
    """Records RECORD_MS of the fake microphone; returns (bytes, chunk log lines, wav)."""
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        pytest.fail("Debian chromium is not installed (scripts/test.sh installs it)")
    out = tmp_path_factory.mktemp("chromium-stream")
    wav = synthesize_speech(60)
    port = free_port()
    env = dict(os.environ, CHUNK_DIR=str(out), PORT=str(port), FLET_FORCE_WEB_SERVER="1")
    app = subprocess.Popen([sys.executable, str(APP)], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        wait_until_served(f"http://127.0.0.1:{port}/", app)
        # Launched from the run's one Playwright driver (tests/conftest.py).
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}",
        ])
        context = browser.new_context(permissions=["microphone"])
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60000)
        page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
        page.get_by_role("button", name="Start").click()
        page.wait_for_timeout(RECORD_MS)
        page.get_by_role("button", name="Stop").click()
        deadline = time.monotonic() + 20
        while not (out / "stopped.json").exists() and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        browser.close()
    finally:
        stop_process(app)
    if not (out / "chunks.bin").exists():
        pytest.fail("Chromium streamed no audio chunks to the Flet app")
    log = [json.loads(line) for line in (out / "chunks.jsonl").read_text().splitlines()]
    return (out / "chunks.bin").read_bytes(), log, wav


def test_chromium_streams_44_1_khz_stereo_whatever_was_configured(chromium_chunks):
    payload, log, _ = chromium_chunks
    pcm = np.frombuffer(payload, dtype="<i2").reshape(-1, 2)
    assert np.array_equal(pcm[:, 0], pcm[:, 1])  # a mono source duplicated into two channels
    clock = FormatClock()  # what the app's stream path reads the format from
    for entry in log:
        clock.add(entry["bytes"], entry["at"])
    assert clock.bytes == len(payload)
    # From the first chunk to the last (the first arrives ~0.5 s after start, later on a
    # loaded machine), the byte rate is 44.1 kHz stereo's; the configured format's is refused.
    told_the_truth = Pcm16Assembler(44100, 2)
    told_the_truth.feed(payload[log[0]["bytes"]:])
    told_the_truth.check_byte_rate(clock.span_s)
    as_configured = Pcm16Assembler(48000, 1)
    as_configured.feed(payload[log[0]["bytes"]:])
    with pytest.raises(StreamFormatError):
        as_configured.check_byte_rate(clock.span_s)
    # The early decision, when the arrivals were steady enough for one, is the right format.
    assert clock.confident() in (None, (44100, 2))


def test_the_assembled_chunks_are_the_speech_sample_for_sample(chromium_chunks, tmp_path):
    payload, log, wav = chromium_chunks
    sequences = [entry["sequence"] for entry in log]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))  # none lost
    assembler = Pcm16Assembler(44100, 2)
    for i in range(0, len(payload), 8192):
        assembler.feed(payload[i : i + 8192])
    samples = assembler.samples()
    resampler = Resampler(44100, SR)
    at_48k = np.concatenate((resampler.process(samples), resampler.flush()))
    source, _ = sf.read(str(wav), dtype="float32")
    # Find where in the file Chromium's fake microphone was when recording began, then compare
    # one second of the take with the same second of the file.
    probe = at_48k[SR : 2 * SR]
    n = source.shape[0] + probe.shape[0]
    xcorr = np.fft.irfft(np.fft.rfft(source, n) * np.conj(np.fft.rfft(probe, n)), n)
    lag = int(np.argmax(xcorr[: source.shape[0] - probe.shape[0]]))
    assert np.corrcoef(probe, source[lag : lag + SR])[0, 1] > 0.99

    report = check_quality(samples, 44100, min_seconds=3)
    assert report.ok, report.reason
    rec = encode_opus(samples, 44100, tmp_path / "web.ogg")
    assert rec.duration_ms == round(samples.shape[0] / 44.1)
    assert abs(sf.info(str(rec.path)).frames / SR - samples.shape[0] / 44100) <= 0.050
