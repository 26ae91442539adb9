"""The vision board editor `/vision-board`: the board as a grid (`TileGrid`, which the
morning shows too); a tap on an empty place adds an image there, a tap on an image opens its
dialog (caption, replace, move, remove), and on wide windows an image can be dragged onto
another place. Every change goes through services/vision_board.py."""

from __future__ import annotations

from pathlib import Path

import flet as ft

from chris_app.services import vision_board
from chris_app.services.vision_board import Tile
from chris_app.state import use_app
from chris_app.views import common
from chris_app.views.board_dialog import TileDialog
from chris_app.views.board_tiles import TileGrid, image_bytes
from chris_app.views.common import ErrorText, Frame, Note, use_width

__all__ = ["TileGrid", "VisionBoard", "image_bytes"]


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
