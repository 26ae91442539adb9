"""Vision board `/vision-board`: 8 tiles; pick an image, caption, move, remove."""

from __future__ import annotations

from pathlib import Path

import flet as ft

from chris_app.domain import limits
from chris_app.services import vision_board
from chris_app.services.vision_board import Tile
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Frame, IconAction, Note, OwnNode

POSITIONS = range(1, 9)


def TileGrid(tiles: list[Tile], size: int = 150) -> ft.Control:
    """The board as images with captions (read-only)."""
    return ft.Row(
        [
            ft.Column(
                [
                    ft.Image(src=t.image_path.read_bytes(), width=size, height=size, fit=ft.BoxFit.COVER,
                             border_radius=8, semantics_label=t.caption or f"Vision board image {t.position}"),
                    ft.Text(t.caption or "", size=12, width=size, max_lines=2),
                ],
                spacing=4,
            )
            for t in tiles
            if t.image_path.exists()
        ],
        wrap=True,
        spacing=8,
        run_spacing=8,
    )


@ft.component
def TileEditor(position: int, tile: Tile | None):
    app = use_app()
    caption = ft.use_ref((tile.caption or "") if tile else "")  # uncontrolled, see evening.py
    error, set_error = ft.use_state("")
    picker = ft.use_ref(None)

    def show(outcome):
        set_error(outcome.error.message if outcome.error else "")

    async def pick(_):
        if picker.current is None:
            picker.current = ft.FilePicker()
        files = await picker.current.pick_files(
            dialog_title=f"Image for tile {position}", file_type=ft.FilePickerFileType.IMAGE, with_data=True
        )
        if files:
            f = files[0]
            data = f.bytes if f.bytes is not None else Path(f.path).read_bytes()
            show(app.act(vision_board.set_tile, position, data, caption.current or None))

    image = (
        ft.Image(src=tile.image_path.read_bytes(), width=140, height=140, fit=ft.BoxFit.COVER, border_radius=8,
                 semantics_label=tile.caption or f"Vision board image {position}")
        if tile and tile.image_path.exists()
        else ft.Container(width=140, height=140, border_radius=8, bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                          alignment=ft.Alignment.CENTER, content=ft.Text(f"{position}", size=28))
    )
    return ft.Semantics(identifier=f"tile-{position}", container=True, content=ft.Card(content=ft.Container(
        padding=10,
        width=230,
        content=ft.Column([
            image,
            OwnNode(ft.TextField(label=f"Caption {position}", value=(tile.caption or "") if tile else "",
                                 max_length=limits.CAPTION_MAX, dense=True, disabled=tile is None,
                                 on_change=lambda e: setattr(caption, "current", e.control.value),
                                 on_submit=lambda _: show(app.act(vision_board.set_caption, position,
                                                                  caption.current)))),
            ft.Row([
                IconAction(ft.Icons.ADD_PHOTO_ALTERNATE, f"Choose image {position}", pick),
                IconAction(ft.Icons.SAVE, f"Save caption {position}",
                           lambda _: show(app.act(vision_board.set_caption, position, caption.current)),
                           disabled=tile is None),
                IconAction(ft.Icons.ARROW_BACK, f"Move {position} left",
                           lambda _: show(app.act(vision_board.move_tile, position, position - 1)),
                           disabled=tile is None or position == 1),
                IconAction(ft.Icons.ARROW_FORWARD, f"Move {position} right",
                           lambda _: show(app.act(vision_board.move_tile, position, position + 1)),
                           disabled=tile is None or position == 8),
                IconAction(ft.Icons.DELETE_OUTLINE, f"Remove image {position}",
                           lambda _: show(app.act(vision_board.remove_tile, position)), disabled=tile is None),
            ], spacing=0, wrap=True),
            ErrorText(error),
        ], spacing=6),
    )))


@ft.component
def VisionBoard():
    app = use_app()
    tiles = {t.position: t for t in app.read(vision_board.tiles)}
    return Frame("/vision-board", "Vision board", [
        Note("Eight images of the life you are building. PNG, JPEG, GIF or WebP, up to 10 MB each."),
        ft.Row([TileEditor(p, tiles.get(p), key=f"{p}-{tiles[p].id if p in tiles else ''}") for p in POSITIONS],
               wrap=True, spacing=8, run_spacing=8),
    ])
