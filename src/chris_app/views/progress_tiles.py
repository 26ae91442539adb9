"""/progress: per vision tile, the actions done toward it ("this builds toward"). A removed tile
keeps its card under the caption its days kept, marked as no longer on the board."""

from __future__ import annotations

import flet as ft

from chris_app.services import tile_links, vision_board
from chris_app.services.tile_links import TileActions
from chris_app.state import use_app
from chris_app.views.action_tile import thumbnail
from chris_app.views.common import Note, Section

SHOWN = 5  # the newest linked actions listed per tile
REMOVED_SHOWN = 8  # removed tiles listed (most recently linked first); years of them stay light


def _outcome(done: bool | None) -> tuple[str, str, str]:
    """(icon, colour, word) of a linked action's evening answer."""
    if done is None:
        return ft.Icons.SCHEDULE, ft.Colors.ON_SURFACE_VARIANT, "not reviewed yet"
    if done:
        return ft.Icons.CHECK_CIRCLE, ft.Colors.PRIMARY, "done"
    return ft.Icons.CANCEL_OUTLINED, ft.Colors.ON_SURFACE_VARIANT, "not done"


def TileCard(group: TileActions, tile) -> ft.Control:
    n = len(group.actions)
    heading = ft.Row([
        thumbnail(tile) if tile else ft.Container(
            width=28, height=28, border_radius=6, bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
            alignment=ft.Alignment.CENTER, content=ft.Icon(ft.Icons.HIDE_IMAGE_OUTLINED, size=16)),
        ft.Column([
            ft.Text(group.caption, weight=ft.FontWeight.W_600),
            Note(f"{group.done} of {n} linked action{'s' if n != 1 else ''} done"
                 + (" · no longer on your board" if group.removed else "")),
        ], spacing=0, expand=True),
    ], vertical_alignment=ft.CrossAxisAlignment.CENTER)
    rows = []
    for a in group.actions[:SHOWN]:
        icon, color, word = _outcome(a.done)
        rows.append(ft.Semantics(
            label=f"{a.date:%a %d %b}: {a.action}, {word}", container=True, exclude_semantics=True,
            content=ft.Row([ft.Icon(icon, color=color, size=18),
                            ft.Text(f"{a.date:%d %b}", size=13, width=52, color=ft.Colors.ON_SURFACE_VARIANT),
                            ft.Text(a.action, size=14, expand=True)],
                           vertical_alignment=ft.CrossAxisAlignment.START)))
    if n > SHOWN:
        rows.append(Note(f"and {n - SHOWN} earlier"))
    return ft.Semantics(
        identifier=f"tile-actions-{group.tile_id}", container=True,
        label=f"{group.caption}: {group.done} of {n} linked actions done"
              + (", no longer on your board" if group.removed else ""),
        content=ft.Container(padding=ft.Padding.only(top=4, bottom=4),
                             content=ft.Column([heading, *rows], spacing=6)))


@ft.component
def ProgressTiles():
    app = use_app()
    groups = app.read(tile_links.tile_actions)
    tiles = {t.id: t for t in app.read(vision_board.tiles)}
    removed = [g for g in groups if g.removed]
    shown = [g for g in groups if not g.removed] + removed[:REMOVED_SHOWN]
    body = [TileCard(g, tiles.get(g.tile_id)) for g in shown] if groups else [
        Note("In the morning, link your action to a picture on your vision board (\"This builds "
             "toward\") to see here what you did toward each.")]
    if len(removed) > REMOVED_SHOWN:
        body.append(Note(f"and {len(removed) - REMOVED_SHOWN} earlier pictures no longer on your board"))
    return Section("Toward your vision", *body, identifier="progress-tiles")
