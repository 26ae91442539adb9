"""Fixtures of the sync tests: an in-memory server, its transport, two devices."""

from __future__ import annotations

import pytest

from fake_server import FakeServer, FakeTransport
from sync_helpers import USER, open_device


@pytest.fixture
def server():
    return FakeServer(USER)


@pytest.fixture
def transport(server):
    return FakeTransport(server)


@pytest.fixture
def device(tmp_path):
    store = open_device(tmp_path / "a" / "chris.sqlite3")
    yield store
    store.close()


@pytest.fixture
def other_device(tmp_path):
    store = open_device(tmp_path / "b" / "chris.sqlite3")
    yield store
    store.close()
