"""A day's action linked to a vision tile travels with the day (morning half): the other device
shows it per tile on /progress; once the tile is removed on either device, both still show the
actions under the caption kept at link time. Also the service rules of linking."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chris_app.errors import InvalidInput
from chris_app.services import day, tile_links, vision_board
from chris_app.sync.snapshot import snapshot
from fake_server import FakeTransport
from sync_helpers import MORNING, USER, engine_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def links(store):
    return [(g.caption, g.removed, [(a.action, a.done) for a in g.actions]) for g in tile_links.tile_actions(store)]


def test_a_linked_action_reaches_the_other_device_and_outlives_its_tile(server, device, other_device):
    a, b = engine_for(device, FakeTransport(server)), engine_for(other_device, FakeTransport(server))
    cabin = vision_board.set_tile(device, MORNING, 1, PNG, "Cabin by the lake")
    vision_board.set_tile(device, MORNING, 2, PNG, "Boat")
    day.set_action(device, MORNING + timedelta(minutes=1), "Call the bank", tile_id=cabin.id)
    a.sync_once()
    (row,) = server.sessions.values()
    assert (row["action_tile_id"], row["action_tile_caption"]) == (cabin.id, "Cabin by the lake")

    b.sync_once()
    assert links(other_device) == [("Cabin by the lake", False, [("Call the bank", None)])]
    session = day.get_day(other_device, MORNING.date())
    assert (session.action_tile_id, session.action_tile_caption) == (cabin.id, "Cabin by the lake")

    # the other device does the evening, renames the tile: the card follows the tile's caption
    day.save_evening(other_device, MORNING + timedelta(hours=12), action_completed=True, discipline_rating=8)
    vision_board.set_caption(other_device, MORNING + timedelta(hours=12, minutes=1), 1, "Lake cabin")
    b.sync_once()
    a.sync_once()
    assert links(device) == [("Lake cabin", False, [("Call the bank", True)])]

    # removed on the first device: both keep the day, under the caption copied when linked
    vision_board.remove_tile(device, MORNING + timedelta(hours=13), 1)
    a.sync_once()
    b.sync_once()
    assert vision_board.tiles(other_device)[0].caption == "Boat"
    for store in (device, other_device):
        assert links(store) == [("Cabin by the lake", True, [("Call the bank", True)])]
    assert snapshot(device.conn, USER) == snapshot(other_device.conn, USER)


def test_a_newer_unlink_wins_and_an_older_link_does_not(server, device, other_device):
    a, b = engine_for(device, FakeTransport(server)), engine_for(other_device, FakeTransport(server))
    tile = vision_board.set_tile(device, MORNING, 1, PNG, "Cabin")
    day.set_action(device, MORNING + timedelta(minutes=1), "Call the bank", tile_id=tile.id)
    a.sync_once()
    b.sync_once()
    day.link_action_tile(other_device, MORNING + timedelta(minutes=5), None)  # newer: unlinked
    day.link_action_tile(device, MORNING + timedelta(minutes=3), tile.id)  # older, offline
    b.sync_once()
    a.sync_once()
    assert links(device) == links(other_device) == []
    assert day.get_day(device, MORNING.date()).action_tile_caption is None


def test_linking_needs_a_tile_on_the_board_and_an_action(device):
    with pytest.raises(InvalidInput) as refused:
        day.link_action_tile(device, MORNING, None)
    assert "action first" in refused.value.problems["tile_id"]
    with pytest.raises(InvalidInput) as refused:
        day.set_action(device, MORNING, "Call the bank", tile_id="no-such-tile")
    assert "no longer on your vision board" in refused.value.problems["tile_id"]
    assert day.get_day(device, MORNING.date()) is None  # nothing saved
    tile = vision_board.set_tile(device, MORNING, 3, PNG, None)
    session = day.set_action(device, MORNING, "Call the bank", tile_id=tile.id)
    assert (session.action_tile_id, session.action_tile_caption) == (tile.id, None)
    assert links(device) == [(tile_links.UNTITLED, False, [("Call the bank", None)])]
    # a screen that knows nothing of tiles (the AI suggestions) changes the action, not the link
    assert day.set_action(device, MORNING, "Run 10 km").action_tile_id == tile.id
    assert links(device) == [(tile_links.UNTITLED, False, [("Run 10 km", None)])]
    vision_board.remove_tile(device, MORNING + timedelta(minutes=1), 3)
    assert links(device) == [(tile_links.UNTITLED, True, [("Run 10 km", None)])]
    with pytest.raises(InvalidInput):
        day.link_action_tile(device, MORNING + timedelta(minutes=2), tile.id)
    assert day.get_day(device, MORNING.date()).action_tile_id == tile.id  # the refused link changed nothing
