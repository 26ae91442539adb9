"""The teleprompter the morning shows while recording: one affirmation at a time, large. It
moves on by itself at a slow reading pace, or sooner with a tap on the text or on the big
"Next" button; after the last one it starts from the top (the member reads until they have
done at least the minimum)."""

from __future__ import annotations

import asyncio

import flet as ft

# A slow, deliberate read aloud: about 2 words a second, plus a breath between affirmations.
SECONDS_PER_WORD = 0.5
BREATH_SECONDS = 1.5


def dwell_seconds(line: str) -> float:
    return BREATH_SECONDS + SECONDS_PER_WORD * len(line.split())


@ft.component
def Teleprompter(lines: list[str]):
    index, set_index = ft.use_state(0)
    timer = ft.use_ref(None)
    i = index % len(lines) if lines else 0
    last = bool(lines) and i == len(lines) - 1

    def advance(_=None):
        set_index(index + 1)

    async def pace():
        await asyncio.sleep(dwell_seconds(lines[i]))
        set_index(index + 1)

    def start_pace():
        if lines:
            timer.current = asyncio.create_task(pace())

    def stop_pace():
        if timer.current is not None:
            timer.current.cancel()
            timer.current = None

    ft.use_effect(start_pace, dependencies=[index], cleanup=stop_pace)
    if not lines:
        return ft.Container()

    return ft.Column([
        ft.Semantics(
            identifier="teleprompter",
            label=f"Affirmation {i + 1} of {len(lines)}: {lines[i]}",
            button=True,
            container=True,
            exclude_semantics=True,
            on_tap=advance,
            content=ft.Container(
                on_click=advance,
                height=250,
                padding=ft.Padding.symmetric(horizontal=20, vertical=16),
                border_radius=20,
                bgcolor=ft.Colors.PRIMARY_CONTAINER,
                alignment=ft.Alignment.CENTER,
                content=ft.Column([
                    ft.Text(f"{i + 1} / {len(lines)}", size=14, weight=ft.FontWeight.W_600,
                            color=ft.Colors.ON_PRIMARY_CONTAINER),
                    ft.Text(lines[i], size=28, weight=ft.FontWeight.W_600, text_align=ft.TextAlign.CENTER,
                            color=ft.Colors.ON_PRIMARY_CONTAINER),
                ], horizontal_alignment=ft.CrossAxisAlignment.CENTER, alignment=ft.MainAxisAlignment.CENTER,
                    scroll=ft.ScrollMode.AUTO, spacing=12),
            ),
        ),
        ft.FilledTonalButton("From the top" if last else "Next affirmation",
                             icon=ft.Icons.REPLAY if last else ft.Icons.ARROW_DOWNWARD,
                             on_click=advance, height=52),
    ], spacing=10, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
