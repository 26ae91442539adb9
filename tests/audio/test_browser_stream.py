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


def locate(probe: np.ndarray, source: np.ndarray, around: int | None = None, reach: int = 2400):
    """Where `probe` is in `source` (near `around` when given): (offset, correlation there)."""
    if around is None:
        n = source.shape[0] + probe.shape[0]
        xcorr = np.fft.irfft(np.fft.rfft(source, n) * np.conj(np.fft.rfft(probe, n)), n)
        offset = int(np.argmax(xcorr[: source.shape[0] - probe.shape[0]]))
    else:
        low = max(0, around - reach)
        segment = source[low : around + reach + probe.shape[0]]
        offset = low + int(np.argmax(np.correlate(segment, probe, mode="valid")))
    return offset, float(np.corrcoef(probe, source[offset : offset + probe.shape[0]])[0, 1])


def quarters_found_in_order(take: np.ndarray, source: np.ndarray) -> list[bool]:
    """For each quarter second of the take, whether it is in the source sample for sample
    (correlation > 0.99) where the previous quarters say it should be. The speech file repeats
    phrases, so a quarter is looked for only within 50 ms of where the take's timeline puts it;
    the timeline is anchored by the best-matching whole second among three."""
    quarter = SR // 4
    anchors = [(locate(take[start : start + SR], source), start) for start in (SR // 2, 3 * SR // 2, 5 * SR // 2)]
    (anchor_offset, _), anchor = max(anchors, key=lambda a: a[0][1])
    found = {}
    for direction in (range(anchor, take.shape[0] - quarter, quarter), range(anchor - quarter, SR // 4, -quarter)):
        shift = anchor_offset - anchor  # source offset minus take position, as tracked so far
        for start in direction:
            offset, correlation = locate(take[start : start + quarter], source, around=start + shift)
            found[start] = correlation > 0.99
            if found[start]:
                shift = offset - start  # a glitch (a skipped or repeated block) moves the timeline
    return [found[start] for start in sorted(found)]


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
    # Wrong channels, byte order or rate match nowhere; on a loaded machine Chromium's capture
    # itself may glitch (a skipped or repeated 10 ms block), which breaks the quarter seconds
    # that span the glitch, never most of them.
    matched = quarters_found_in_order(at_48k, source)
    assert len(matched) >= 16
    assert sum(matched) >= 0.75 * len(matched), matched

    report = check_quality(samples, 44100, min_seconds=3)
    assert report.ok, report.reason
    rec = encode_opus(samples, 44100, tmp_path / "web.ogg")
    assert rec.duration_ms == round(samples.shape[0] / 44.1)
    assert abs(sf.info(str(rec.path)).frames / SR - samples.shape[0] / 44100) <= 0.050
