"""What every morning step's content sits in: one sheet under the step indicator."""

from __future__ import annotations

import flet as ft


def StepBody(identifier: str, controls: list[ft.Control]) -> ft.Control:
    """A step's controls on a sheet, as one named node for tests and screen readers. The Card
    is also a semantics boundary between the node and the controls: without one, Flutter web
    once left the step's buttons out of the accessibility tree after a partial update."""
    return ft.Semantics(identifier=identifier, container=True, content=ft.Card(
        elevation=0, margin=0, bgcolor=ft.Colors.SURFACE_CONTAINER_LOWEST,
        shape=ft.RoundedRectangleBorder(radius=20),
        content=ft.Container(
            padding=16,
            content=ft.Column(controls, spacing=14, horizontal_alignment=ft.CrossAxisAlignment.STRETCH))))
