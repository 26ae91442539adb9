"""The vision board: `TileGrid` (the board at a glance, also shown by the morning) and the
editor `/vision-board`, where a tap on a tile opens a dialog to caption, replace, move or
remove it, and a tap on an empty position adds an image there. Every change goes through
services/vision_board.py."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import flet as ft

from chris_app.domain import limits
from chris_app.services import vision_board
from chris_app.services.vision_board import Tile
from chris_app.state import use_app
from chris_app.views import common
from chris_app.views.common import ErrorText, Frame, Note, use_width

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


def _handler(fn: Callable, *args) -> Callable:
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
            cells.append(_cell(position, tile, _filled(tile, numbered), _handler(on_tap, tile) if on_tap else None,
                               ratio, on_drop, feedback=_filled(tile, numbered) if on_drop else None))
        elif on_add is not None:
            cells.append(_cell(position, None, _empty(position, position == first_free),
                               _handler(on_add, position), ratio, on_drop))
    return ft.ResponsiveRow(
        cells,
        breakpoints={"xs": 0, "wide": FOUR_COLUMNS_AT},
        spacing=8,
        run_spacing=8,
    )


def _move_button(to: int, current: int, occupied: bool, on_move) -> ft.Control:
    here = to == current
    return ft.MergeSemantics(content=ft.Semantics(
        label=f"Move to position {to}" if not here else f"Position {to}, here now",
        button=not here,
        content=ft.Container(
            width=44, height=36, border_radius=8, alignment=ft.Alignment.CENTER,
            bgcolor=ft.Colors.PRIMARY if here else (ft.Colors.SECONDARY_CONTAINER if occupied else None),
            border=None if here else ft.Border.all(1, ft.Colors.OUTLINE),
            on_click=None if here else _handler(on_move, to),
            content=ft.Semantics(exclude_semantics=True, content=ft.Text(
                str(to), weight=ft.FontWeight.BOLD,
                color=ft.Colors.ON_PRIMARY if here else
                (ft.Colors.ON_SECONDARY_CONTAINER if occupied else ft.Colors.ON_SURFACE))),
        ),
    ))


def _mini_board(current: int, occupied: set[int], on_move) -> ft.Control:
    """The 8 positions as two rows of four: where the image is, which places hold images (a
    move there swaps the two) and which are free."""
    rows = [POSITIONS[:4], POSITIONS[4:]]
    return ft.Column([ft.Row([_move_button(p, current, p in occupied, on_move) for p in row], spacing=8)
                      for row in rows], spacing=8)


def TileDialog(tile: Tile, occupied: set[int], caption_ref, error: str, *, on_save, on_replace, on_move,
               on_remove, on_close) -> ft.AlertDialog:
    """What can be done with one image: caption it, replace it, move it, remove it."""
    data = image_bytes(tile)
    return ft.AlertDialog(
        title=ft.Text(f"Tile {tile.position}"),
        on_dismiss=lambda _: on_close(),
        content=ft.Container(width=360, content=ft.Column(tight=True, spacing=12, controls=[
            ft.Container(aspect_ratio=PHONE_RATIO, border_radius=RADIUS, clip_behavior=ft.ClipBehavior.ANTI_ALIAS,
                         bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                         image=ft.DecorationImage(src=data, fit=ft.BoxFit.COVER) if data else None),
            ft.Semantics(container=True, content=ft.TextField(
                label="Caption", value=tile.caption or "", multiline=True, min_lines=1, max_lines=3,
                helper=f"Up to {limits.CAPTION_MAX} characters",
                on_change=lambda e: setattr(caption_ref, "current", e.control.value))),
            ft.Row([
                ft.OutlinedButton("Replace image", icon=ft.Icons.IMAGE_OUTLINED, on_click=on_replace),
                ft.TextButton("Remove image", icon=ft.Icons.DELETE_OUTLINE, on_click=on_remove,
                              style=ft.ButtonStyle(color=ft.Colors.ERROR)),
            ], wrap=True, spacing=8, run_spacing=4),
            ft.Text("Move to", size=13, color=ft.Colors.ON_SURFACE_VARIANT),
            _mini_board(tile.position, occupied, on_move),
            ErrorText(error),
        ])),
        actions=[
            ft.TextButton("Cancel", on_click=lambda _: on_close()),
            ft.FilledButton("Save", on_click=on_save),
        ],
        actions_alignment=ft.MainAxisAlignment.END,
    )


async def pick_image(picker, title: str) -> bytes | None:
    """The bytes of the image the member picks (None when they cancel). On the web a picked
    file has no path, only its data."""
    if picker.current is None:
        picker.current = ft.FilePicker()  # kept on the ref: a dropped service is unregistered
    files = await picker.current.pick_files(dialog_title=title, file_type=ft.FilePickerFileType.IMAGE,
                                            with_data=True)
    if not files:
        return None
    f = files[0]
    return f.bytes if f.bytes is not None else Path(f.path).read_bytes()


def UndoBar(text: str, on_undo) -> ft.Control:
    return ft.Container(
        visible=bool(text), padding=ft.Padding.only(left=12, right=4, top=2, bottom=2), border_radius=10,
        bgcolor=ft.Colors.INVERSE_SURFACE,
        content=ft.Row([
            ft.Text(text, color=ft.Colors.ON_INVERSE_SURFACE, expand=True),
            ft.TextButton("Undo", on_click=on_undo, style=ft.ButtonStyle(color=ft.Colors.INVERSE_PRIMARY)),
        ]),
    )


@ft.component
def VisionBoard():
    app = use_app()
    tiles = app.read(vision_board.tiles)
    by_position = {t.position: t for t in tiles}
    editing, set_editing = ft.use_state(0)  # the position whose dialog is open; 0: none
    board_error, set_board_error = ft.use_state("")
    dialog_error, set_dialog_error = ft.use_state("")
    removed_note, set_removed_note = ft.use_state("")
    caption = ft.use_ref("")  # what the member typed, kept while the dialog re-renders
    removed = ft.use_ref(None)  # (position, image, caption) of the image just removed, for Undo
    picker = ft.use_ref(None)

    def quiet():
        set_board_error("")
        set_removed_note("")

    async def add(position: int):
        quiet()
        data = await pick_image(picker, f"Image for tile {position}")
        if data is not None:
            outcome = app.act(vision_board.set_tile, position, data)
            if outcome.error:
                set_board_error(f"Tile {position}: {outcome.error.message}")

    def open_tile(tile: Tile):
        quiet()
        caption.current = tile.caption or ""
        set_dialog_error("")
        set_editing(tile.position)

    def close():
        set_dialog_error("")
        set_editing(0)

    def done(outcome, then=close):
        if outcome.error:
            set_dialog_error(outcome.error.message)
        else:
            then()

    tile = by_position.get(editing)

    async def replace(_):
        data = await pick_image(picker, f"New image for tile {editing}")
        if data is not None:
            done(app.act(vision_board.set_tile, editing, data, caption.current or None),
                 then=lambda: set_dialog_error(""))

    def move(to: int):
        done(app.act(vision_board.move_tile, editing, to), then=lambda: (set_dialog_error(""), set_editing(to)))

    def save(_):
        if (caption.current or None) == tile.caption:
            close()
        else:
            done(app.act(vision_board.set_caption, editing, caption.current))

    def remove(_):
        kept = (tile.position, image_bytes(tile), tile.caption)
        outcome = app.act(vision_board.remove_tile, editing)
        if outcome.error:
            set_dialog_error(outcome.error.message)
            return
        removed.current = kept if kept[1] else None
        set_removed_note(f"Image removed from tile {kept[0]}." if kept[1] else "")
        close()

    def drop(start: int, to: int):
        quiet()
        if start != to:
            outcome = app.act(vision_board.move_tile, start, to)
            if outcome.error:
                set_board_error(outcome.error.message)

    def undo(_):
        position, image, old_caption = removed.current
        set_removed_note("")
        removed.current = None
        if position in by_position:  # the place was filled again meanwhile: keep that image
            set_board_error(f"Tile {position} holds another image now; add the old one again to another place.")
            return
        outcome = app.act(vision_board.set_tile, position, image, old_caption)
        if outcome.error:
            set_board_error(f"Tile {position}: {outcome.error.message}")

    ft.use_dialog(TileDialog(
        tile, set(by_position), caption, dialog_error,
        on_save=save, on_replace=replace, on_move=move, on_remove=remove, on_close=close,
    ) if tile is not None else None)

    count = len(tiles)
    wide = use_width() >= common.WIDE
    return Frame("/vision-board", "Vision board", [
        Note("Eight images of the life you are building. Tap an empty place to add one, an image to caption, "
             f"replace, move or remove it{' (or drag it to another place)' if wide else ''}. "
             "PNG, JPEG, GIF or WebP, up to 10 MB each."),
        ft.Text(f"{count} of 8 images" if count else "Your board is empty: start with one image.",
                weight=ft.FontWeight.W_600),
        ErrorText(board_error),
        UndoBar(removed_note, undo),
        # Dragging only with the wide layout (a mouse): on a phone a drag that starts on an
        # image must scroll the screen; the dialog's move buttons work everywhere.
        TileGrid(tiles, on_tap=open_tile, on_add=add, on_drop=drop if wide else None),
    ])
