"""Recordings `/recordings`: then and now (the first reading beside the latest), the voice over
the days (speaking time, loudness and, when checked, how much of the affirmations was read),
and every reading by date.

Readings saved before the store kept metrics are measured here once, in the background; the
screen shows what is stored meanwhile."""

from __future__ import annotations

import asyncio
import math
from datetime import date

import flet as ft

from chris_app.services import recordings
from chris_app.services.reading_metrics import (ReadingFigures, VoiceHistory, change_since_first, figures_of,
                                                measure_missing, voice_history)
from chris_app.state import use_app
from chris_app.views.common import Frame, Note, Section, use_width
from chris_app.views.playback import Playback
from chris_app.views.reading_recorder import clock

SIDE_BY_SIDE = 560  # window width from which then and now stand side by side
SERIES = {  # chart key → (segment label, colour, axis title)
    "speaking": ("Speaking", ft.Colors.PRIMARY, "speaking time"),
    "loudness": ("Loudness", ft.Colors.DEEP_ORANGE, "loudness"),
    "coverage": ("Read", ft.Colors.GREEN, "affirmations read"),
}


def figures_line(f: ReadingFigures | None) -> str:
    """"speaking 0:45 · −18 dB · read 94 % · 132 words a minute", or "" when not measured."""
    if f is None or not f.measured:
        return ""
    parts = [f"speaking {clock(f.speaking_s)}", f"{f.loudness_dbfs:.0f} dB"]
    if f.read_coverage is not None:
        parts.append(f"read {f.read_coverage:.0%}")
    if f.words_per_minute is not None:
        parts.append(f"{f.words_per_minute:.0f} words a minute")
    return " · ".join(parts)


def _tile(word: str, recording: recordings.Recording, figures: ReadingFigures) -> ft.Control:
    line = figures_line(figures)
    return ft.Semantics(
        identifier=f"{word.lower()}-reading",
        container=True,
        content=ft.Container(
            padding=12,
            border_radius=12,
            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
            content=ft.Column([
                ft.Text(word, size=12, weight=ft.FontWeight.W_600, color=ft.Colors.PRIMARY),
                ft.Text(f"{recording.date:%d %B %Y}", weight=ft.FontWeight.W_600),
                Playback(recording, key=f"{word}-{recording.id}"),
                ft.Text(line or "Not measured on this device.", size=13, color=ft.Colors.ON_SURFACE_VARIANT),
            ], spacing=4),
        ),
    )


def ThenAndNow(history: VoiceHistory, by_id: dict[str, recordings.Recording], wide: bool) -> ft.Control:
    first, latest = history.first, history.latest
    tiles = [_tile("Then", by_id[first.recording_id], first), _tile("Now", by_id[latest.recording_id], latest)]
    change = change_since_first(first, latest)
    pair = (ft.Row([ft.Container(t, expand=1) for t in tiles], spacing=12,
                   vertical_alignment=ft.CrossAxisAlignment.START)
            if wide else ft.Column(tiles, spacing=10, horizontal_alignment=ft.CrossAxisAlignment.STRETCH))
    return Section("Then and now", pair,
                   ft.Semantics(identifier="voice-change", container=True, content=Note(change)) if change
                   else Note("Play your first reading, then your latest: hear how your voice changed."),
                   identifier="then-and-now")


def _series(points: list[ReadingFigures], key: str) -> list[tuple[date, float]]:
    if key == "speaking":
        return [(f.date, f.speaking_s) for f in points]
    if key == "loudness":
        return [(f.date, f.loudness_dbfs) for f in points]
    return [(f.date, f.read_coverage * 100) for f in points if f.read_coverage is not None]


def _value_words(key: str, value: float) -> str:
    return {"speaking": clock(value), "loudness": f"{value:.0f} dB", "coverage": f"{value:.0f} %"}[key]


def _bounds(key: str, values: list[float]) -> tuple[float, float, float]:
    """(min_y, max_y, grid interval) with room around the line."""
    if key == "coverage":
        return 0, 100, 25
    if key == "speaking":  # whole quarter minutes, so every label is a round time
        step = max(15.0, -(-max(values) * 1.15 // 60) * 15)
        return 0, 4 * step, step
    high = min(0.0, -(-(max(values) + 2) // 5) * 5)  # dB: grid lines every 5 or 10 dB
    step = 5.0 * max(1, math.ceil((high - min(values) + 2) / 20))
    return high - 4 * step, high, step


def VoiceChart(points: list[tuple[date, float]], key: str) -> ft.Control:
    import flet_charts as fch  # loaded when a chart is first drawn, not at start-up

    _, color, title = SERIES[key]
    origin = points[0][0]
    xs = [(d - origin).days for d, _ in points]
    low, high, step = _bounds(key, [v for _, v in points])
    last = max(1, xs[-1])
    chart = fch.LineChart(
        data_series=[fch.LineChartData(
            points=[fch.LineChartDataPoint(x, v) for x, (_, v) in zip(xs, points)],
            color=color, stroke_width=3, curved=True, prevent_curve_over_shooting=True, point=True,
        )],
        min_y=low, max_y=high, min_x=0, max_x=last,
        # Labelled exactly at the grid lines, in the metric's own words (0:30, -20 dB, 75 %).
        left_axis=fch.ChartAxis(title=ft.Text(title, size=11), title_size=24, label_size=52, labels=[
            fch.ChartAxisLabel(value=low + i * step, label=ft.Text(_value_words(key, low + i * step), size=11))
            for i in range(5)]),
        bottom_axis=fch.ChartAxis(labels=[
            fch.ChartAxisLabel(value=0, label=ft.Text(f"{origin:%d %b}", size=11)),
            fch.ChartAxisLabel(value=last, label=ft.Text(f"{points[-1][0]:%d %b}", size=11)),
        ], label_size=28),
        horizontal_grid_lines=fch.ChartGridLines(interval=step, color=ft.Colors.OUTLINE_VARIANT, width=1),
        interactive=False,
    )
    words = SERIES[key][0].lower()
    label = (f"{words} over {len(points)} readings: first {_value_words(key, points[0][1])},"
             f" latest {_value_words(key, points[-1][1])}")
    return ft.Semantics(identifier="voice-chart", label=label[0].upper() + label[1:], container=True,
                        image=True, exclude_semantics=True,
                        content=ft.Container(height=220, padding=ft.Padding.only(top=20, right=12), content=chart))


@ft.component
def VoiceOverTime(history: VoiceHistory):
    shown, set_shown = ft.use_state("speaking")
    keys = ["speaking", "loudness"] + (["coverage"] if len(history.checked) >= 2 else [])
    key = shown if shown in keys else "speaking"

    def pick(e):
        selected = e.control.selected
        if selected:
            set_shown(selected[0])

    notes = {
        "speaking": "Time your voice was heard, pauses left out.",
        "loudness": "How loud your voice was while you spoke (0 dB is the loudest a recording holds).",
        "coverage": "The share of your affirmations the read-aloud check heard.",
    }
    return Section(
        "Your voice over the days",
        ft.Row([ft.SegmentedButton(
            segments=[ft.Segment(value=k, label=SERIES[k][0]) for k in keys],
            selected=[key], show_selected_icon=False, on_change=pick, expand=True,
            padding=ft.Padding.symmetric(horizontal=4),
        )]),
        VoiceChart(_series(history.measured, key), key),
        Note(notes[key]),
        identifier="voice-over-time",
    )


def ReadingCard(r: recordings.Recording, figures: ReadingFigures | None) -> ft.Control:
    line = figures_line(figures)
    return ft.Card(content=ft.Container(padding=12, content=ft.Column([
        ft.Text(f"{r.date:%A, %d %B %Y}", weight=ft.FontWeight.W_600),
        ft.Text(f"{clock(r.duration_ms / 1000)}" + (f" · {line}" if line else ""), size=12),
        Playback(r, key=r.id),
    ], spacing=4)))


@ft.component
def Recordings():
    app = use_app()
    items = app.read(recordings.list_recordings)
    history = app.read(voice_history)
    figures = {r.id: app.read(figures_of, r.id) for r in items}
    wide = use_width() >= SIDE_BY_SIDE

    async def measure_old():
        # Readings saved before the store kept metrics: measured once, off the event loop.
        if any(f is not None and not f.measured and r.path.exists() for r in items for f in [figures[r.id]]):
            if await asyncio.to_thread(measure_missing, app.store, app.now()):
                app.revision += 1
                if app.account is not None:
                    app.account.kick()

    ft.on_mounted(lambda: asyncio.create_task(measure_old()))
    by_id = {r.id: r for r in items}
    return Frame("/recordings", "Recordings", [
        Note("Your morning readings, newest first. They are kept on this device."),
        ThenAndNow(history, by_id, wide) if history.latest is not None else ft.Container(),
        VoiceOverTime(history) if len(history.measured) >= 2 else ft.Container(),
        ft.Text("Every reading", theme_style=ft.TextThemeStyle.TITLE_MEDIUM, weight=ft.FontWeight.W_600)
        if history.latest is not None else ft.Container(),
        *[ReadingCard(r, figures[r.id]) for r in items],
        Note("No recordings yet.") if not items else ft.Container(),
    ])
