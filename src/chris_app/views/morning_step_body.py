"""What every morning step's content sits in."""

from __future__ import annotations

import flet as ft


def StepBody(identifier: str, controls: list[ft.Control]) -> ft.Control:
    """A step's controls as one named node for tests and screen readers. A flat Card (its own
    semantics boundary) sits between the node and the controls: without it, Flutter web once
    left the step's buttons out of the accessibility tree after a partial update."""
    return ft.Semantics(identifier=identifier, container=True, content=ft.Card(
        elevation=0, bgcolor=ft.Colors.TRANSPARENT, margin=0,
        content=ft.Column(controls, spacing=14, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)))
