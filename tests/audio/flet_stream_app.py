"""A minimal Flet app for test_browser_stream: Start/Stop buttons around an AudioRecorder whose
``on_stream`` chunks are appended to $CHUNK_DIR/chunks.bin (sequence numbers, sizes and arrival
times to chunks.jsonl).
Started as a child process; not a test module and not part of the product UI."""

import json
import os
import time
from pathlib import Path

import flet as ft
import flet_audio_recorder as far

OUT = Path(os.environ["CHUNK_DIR"])


def main(page: ft.Page):
    started = {}

    def on_stream(e: far.AudioRecorderStreamEvent):
        with open(OUT / "chunks.bin", "ab") as f:
            f.write(e.chunk)
        with open(OUT / "chunks.jsonl", "a") as f:
            f.write(json.dumps({"sequence": e.sequence, "bytes_streamed": e.bytes_streamed,
                                "bytes": len(e.chunk), "at": time.monotonic()}) + "\n")

    # Configured as the desktop records; Chromium delivers its own format regardless.
    recorder = far.AudioRecorder(
        configuration=far.AudioRecorderConfiguration(
            encoder=far.AudioEncoder.PCM16BITS, sample_rate=48000, channels=1
        ),
        on_stream=on_stream,
    )
    started["recorder"] = recorder  # services are dropped when nothing references them

    async def start(e):
        started["t0"] = time.monotonic()
        await recorder.start_recording()

    async def stop(e):
        await recorder.stop_recording()
        elapsed = time.monotonic() - started["t0"]
        (OUT / "stopped.json").write_text(json.dumps({"elapsed_s": elapsed}))

    page.add(ft.Button("Start", on_click=start), ft.Button("Stop", on_click=stop))


ft.run(main, view=ft.AppView.WEB_BROWSER, port=int(os.environ["PORT"]), no_cdn=True)
