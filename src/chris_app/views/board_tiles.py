"""The vision board at a glance: `TileGrid`, shown by the board editor and by the morning's
Board step. 2 columns on phones, 4 on wide screens; images full bleed with their captions on
them over a dark scrim, readable in both themes; one accessibility node per tile."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import flet as ft

from chris_app.domain import limits
from chris_app.services.vision_board import Tile
from chris_app.views import common

POSITIONS = range(limits.POSITION_MIN, limits.POSITION_MAX + 1)
# Landscape tiles on phones: 4 rows of them fit a 390×844 screen below the app bar with room
# to spare; squares would not.
PHONE_RATIO = 4 / 3
# The grid's own width at which it switches from 2 to 4 columns. A phone's content is about
# 360 px wide, a desktop's centred column up to ~720.
FOUR_COLUMNS_AT = 600
RADIUS = 14
EDGE = "#1F000000"
# The caption sits on a dark scrim that is at least 65 % black behind the text, so white text
# keeps >= 7:1 contrast even over a white image, in either theme.
SCRIM = ft.LinearGradient(
    begin=ft.Alignment.TOP_CENTER, end=ft.Alignment.BOTTOM_CENTER,
    colors=["#00000000", "#A6000000", "#CC000000"], stops=[0.0, 0.4, 1.0],
)


@lru_cache(maxsize=32)
def _image_bytes(path: str, mtime_ns: int) -> bytes:
    return Path(path).read_bytes()


def image_bytes(tile: Tile) -> bytes | None:
    """The tile's image, read once per file version (renders happen often; images are big)."""
    try:
        return _image_bytes(str(tile.image_path), tile.image_path.stat().st_mtime_ns)
    except OSError:
        return None


def tile_label(position: int, tile: Tile | None) -> str:
    if tile is None:
        return f"Tile {position}: empty"
    return f"Tile {position}: {tile.caption or 'no caption'}"


def _caption(text: str) -> ft.Control:
    return ft.Container(
        gradient=SCRIM,
        padding=ft.Padding.only(left=10, right=10, top=28, bottom=8),
        content=ft.Text(text, color=ft.Colors.WHITE, size=13, weight=ft.FontWeight.W_600,
                        max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
    )


def _number(position: int) -> ft.Control:
    return ft.Container(
        width=26, height=26, border_radius=13, bgcolor="#99000000", alignment=ft.Alignment.CENTER,
        content=ft.Text(str(position), color=ft.Colors.WHITE, size=12, weight=ft.FontWeight.BOLD),
    )


def _filled(tile: Tile, numbered: bool) -> ft.Control:
    data = image_bytes(tile)
    top = ft.Row([_number(tile.position)]) if numbered else ft.Container()
    return ft.Container(
        border_radius=RADIUS,
        clip_behavior=ft.ClipBehavior.ANTI_ALIAS,
        bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
        border=ft.Border.all(1, EDGE),  # a white image would melt into a light page without it
        image=ft.DecorationImage(src=data, fit=ft.BoxFit.COVER) if data else None,
        content=ft.Column(
            [ft.Container(top, padding=6), _caption(tile.caption) if tile.caption else ft.Container()],
            alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            spacing=0,
        ),
    )


def _empty(position: int, next_up: bool) -> ft.Control:
    """A free place: quiet, except the first one, which invites the next image."""
    ink = ft.Colors.ON_PRIMARY_CONTAINER if next_up else ft.Colors.ON_SURFACE_VARIANT
    return ft.Container(
        border_radius=RADIUS,
        border=ft.Border.all(1, ft.Colors.PRIMARY if next_up else ft.Colors.OUTLINE_VARIANT),
        bgcolor=ft.Colors.PRIMARY_CONTAINER if next_up else ft.Colors.SURFACE_CONTAINER_LOW,
        alignment=ft.Alignment.CENTER,
        content=ft.Column(
            [ft.Icon(ft.Icons.ADD_PHOTO_ALTERNATE_OUTLINED, color=ink),
             ft.Text("Add image" if next_up else f"{position}", size=12, color=ink,
                     weight=ft.FontWeight.W_600 if next_up else None)],
            spacing=2, tight=True, horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    )


def _cell(position: int, tile: Tile | None, body: ft.Control, on_click, ratio: float, on_drop=None,
          feedback: ft.Control | None = None) -> ft.Control:
    """One accessibility node per tile, named "Tile N: caption", the tap target being the
    whole tile. Merged, so the tap is that node's own action, not an unnamed button inside.
    With `on_drop(from, to)` an image can be dragged onto another place, `feedback` (a copy of
    the body: one control has one parent) following the pointer."""
    target: ft.Control = ft.Container(
        aspect_ratio=ratio,
        on_click=on_click,
        border_radius=RADIUS,
        # the caption is in the node's label; its painted text would say it twice
        content=ft.Semantics(exclude_semantics=True, content=body),
    )
    if on_drop is not None:
        if feedback is not None:
            target = ft.Draggable(
                group="board", data=position, content=target,
                content_when_dragging=ft.Container(aspect_ratio=ratio, border_radius=RADIUS,
                                                   border=ft.Border.all(2, ft.Colors.PRIMARY)),
                content_feedback=ft.Container(width=160, height=120, opacity=0.85, content=feedback),
            )
        target = ft.DragTarget(group="board", content=target,
                               on_accept=lambda e: on_drop(e.src.data, position))
    return ft.MergeSemantics(col={"xs": 6, "wide": 3}, content=ft.Semantics(
        identifier=f"tile-{position}",
        label=tile_label(position, tile),
        button=on_click is not None,
        content=target,
    ))


def tile_ratio() -> float:
    """Squares on a wide window, where two rows of them fit; landscape on a phone, where four
    rows of squares would not. (The window's width, read without a hook: the screens that
    show the grid re-render on resizes anyway, through their frame.)"""
    try:
        width = ft.context.page.width or 0
    except RuntimeError:
        width = 0
    return 1.0 if width >= common.WIDE else PHONE_RATIO


def call_with(fn: Callable, *args) -> Callable:
    """An event handler calling fn(*args); async when fn is, so Flet awaits it."""
    if inspect.iscoroutinefunction(fn):
        async def run_async(_):
            await fn(*args)
        return run_async
    return lambda _: fn(*args)


def TileGrid(tiles: list[Tile], on_tap: Callable[[Tile], None] | None = None,
             on_add: Callable[[int], None] | None = None,
             on_drop: Callable[[int, int], None] | None = None) -> ft.Control:
    """The board at a glance: 2 columns on phones, 4 on wide screens, images full bleed with
    their captions on them. `on_tap(tile)` runs when a tile is tapped. With `on_add(position)`
    the empty positions are shown too (the editor); without it only the images are (the
    morning), in position order. With `on_drop(from, to)` images can be dragged to another
    place (the editor, with a mouse)."""
    by_position = {t.position: t for t in tiles}
    ratio = tile_ratio()
    first_free = next((p for p in POSITIONS if p not in by_position), None)

    cells = []
    for position in POSITIONS:
        tile = by_position.get(position)
        if tile is not None:
            numbered = on_add is not None
            cells.append(_cell(position, tile, _filled(tile, numbered), call_with(on_tap, tile) if on_tap else None,
                               ratio, on_drop, feedback=_filled(tile, numbered) if on_drop else None))
        elif on_add is not None:
            cells.append(_cell(position, None, _empty(position, position == first_free),
                               call_with(on_add, position), ratio, on_drop))
    return ft.ResponsiveRow(
        cells,
        breakpoints={"xs": 0, "wide": FOUR_COLUMNS_AT},
        spacing=8,
        run_spacing=8,
    )
