"""A stand-in for Flet's desktop client (the Flutter window), which cannot be downloaded here.

flet_desktop starts the client as `$FLET_VIEW_PATH/flet <page_url> <pid_file> [assets_dir]`
(Linux); `install(folder, out)` puts a `flet` launcher there that runs this file. It speaks
the client's side of Flet's socket protocol (flet/messaging/flet_socket_server.py: frames of
`[length u32 LE][0x00][msgpack [action, body]]`): for each route in FAKE_FLET_ROUTES
("/" by default) it connects, registers a new page at that route as a Linux desktop window
would, answers method calls with "no result", and appends every string the app sends to
FAKE_FLET_OUT as one JSON line per frame: {"route", "t" (time.time()), "strings"}
(FAKE_FLET_DELAY: seconds to wait before connecting, in place of Flutter's start). A route
is done when the app has sent nothing for FAKE_FLET_QUIET seconds; after the last route the
client exits, which is the member closing the window: the app then exits too.

What this proves: the app starts in its window mode (Flet's socket server, flet_desktop
finding and launching the client, the app's main, the first render), and the screens' text
reaches the window. What it cannot prove: how Flutter draws them."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def install(folder: Path, out: Path, routes: str = "/", quiet: float = 2.0, delay: float = 0.0) -> dict[str, str]:
    """Writes the `flet` launcher into `folder`; returns the environment for the app.
    `delay`: seconds the client waits before it connects (a stand-in for Flutter's own start,
    which is not measured here)."""
    folder.mkdir(parents=True, exist_ok=True)
    launcher = folder / "flet"
    # The bundle's environment may point the loader at its own libraries: not for this Python.
    launcher.write_text("#!/bin/sh\nunset LD_LIBRARY_PATH\n"
                        f'exec "{sys.executable}" "{HERE}" "$@"\n')
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return {"FLET_VIEW_PATH": str(folder), "FAKE_FLET_OUT": str(out), "FAKE_FLET_ROUTES": routes,
            "FAKE_FLET_QUIET": str(quiet), "FAKE_FLET_DELAY": str(delay)}


def read_strings(out: Path) -> dict[str, list[str]]:
    """Every string the app sent, by route, from FAKE_FLET_OUT."""
    seen: dict[str, list[str]] = {}
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            if line.strip():
                frame = json.loads(line)
                seen.setdefault(frame["route"], []).extend(frame["strings"])
    return seen


def _strings(value, found: list[str]) -> None:
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, (bytes, bytearray)):
        return
    elif isinstance(value, dict):
        for k, v in value.items():
            _strings(k, found)
            _strings(v, found)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _strings(v, found)


def _connect(url: str) -> socket.socket:
    if url.startswith("tcp://"):
        host, port = url[len("tcp://"):].rsplit(":", 1)
        return socket.create_connection((host, int(port)), timeout=30)
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(30)
    sock.connect(url)
    return sock


def _send(sock: socket.socket, message) -> None:
    import msgpack

    packet = b"\x00" + msgpack.packb(message)
    sock.sendall(len(packet).to_bytes(4, "little") + packet)


def _frames(sock: socket.socket, quiet: float, limit: float):
    """Decoded frames until the app has been quiet for `quiet` s after its first patch of
    the page (the first render), or for `limit` s in all."""
    import msgpack

    buffer = b""
    end = time.monotonic() + limit
    rendered = False
    while time.monotonic() < end:
        sock.settimeout(quiet if rendered else max(0.1, end - time.monotonic()))
        try:
            chunk = sock.recv(1 << 16)
        except TimeoutError:
            if rendered:
                return
            continue
        if not chunk:
            return
        buffer += chunk
        while len(buffer) >= 4 and len(buffer) >= 4 + int.from_bytes(buffer[:4], "little"):
            length = int.from_bytes(buffer[:4], "little")
            packet, buffer = buffer[4:4 + length], buffer[4 + length:]
            if packet[:1] == b"\x00":
                frame = msgpack.unpackb(packet[1:], ext_hook=lambda code, data: None, strict_map_key=False)
                rendered = rendered or frame[0] == 2  # PATCH_CONTROL
                yield frame


def page_snapshot(route: str) -> dict:
    """What a Linux desktop client tells the app about its page when it registers."""
    return {"route": route, "web": False, "debug": False, "platform": "linux", "pwa": False,
            "wasm": False, "test": False, "multi_view": False, "platform_brightness": "light",
            "width": 1280.0, "height": 900.0, "window": {"width": 1280.0, "height": 900.0}}


def main(argv: list[str]) -> None:
    url, pid_file = argv[0], argv[1]
    Path(pid_file).write_text(str(os.getpid()))
    out = Path(os.environ["FAKE_FLET_OUT"])
    quiet = float(os.environ.get("FAKE_FLET_QUIET", "2"))
    routes = [r for r in os.environ.get("FAKE_FLET_ROUTES", "/").split(",") if r]
    time.sleep(float(os.environ.get("FAKE_FLET_DELAY", "0")))
    with open(out, "a", encoding="utf-8") as log:
        for route in routes:
            with _connect(url) as sock:
                _send(sock, [1, {"session_id": None, "page_name": "", "page": page_snapshot(route)}])
                for frame in _frames(sock, quiet, limit=120):
                    found: list[str] = []
                    _strings(frame, found)
                    log.write(json.dumps({"route": route, "t": time.time(), "strings": found}) + "\n")
                    log.flush()
                    action, body = frame[0], frame[1]
                    if action == 5 and isinstance(body, dict):  # INVOKE_METHOD: answer "nothing"
                        _send(sock, [5, {"control_id": body.get("control_id"), "call_id": body.get("call_id"),
                                         "result": None, "error": None}])


if __name__ == "__main__":
    main(sys.argv[1:])
