"""The dialog of one board image: caption it, replace it, move it (to any of the 8 places:
onto an image swaps the two), remove it."""

from __future__ import annotations

import flet as ft

from chris_app.domain import limits
from chris_app.services.vision_board import Tile
from chris_app.views.board_tiles import PHONE_RATIO, POSITIONS, RADIUS, call_with, image_bytes
from chris_app.views.common import ErrorText

def _move_button(to: int, current: int, occupied: bool, on_move) -> ft.Control:
    here = to == current
    return ft.MergeSemantics(content=ft.Semantics(
        label=f"Move to position {to}" if not here else f"Position {to}, here now",
        button=not here,
        content=ft.Container(
            width=44, height=36, border_radius=8, alignment=ft.Alignment.CENTER,
            bgcolor=ft.Colors.PRIMARY if here else (ft.Colors.SECONDARY_CONTAINER if occupied else None),
            border=None if here else ft.Border.all(1, ft.Colors.OUTLINE),
            on_click=None if here else call_with(on_move, to),
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
        content=ft.Container(width=360, content=ft.Column(
            tight=True, spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=[
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
