"""Progress `/progress`: the figures, a calendar heatmap, the rating trend, the score curve and
a weekly summary."""

from __future__ import annotations

from datetime import timedelta

import flet as ft

from chris_app.services import summary
from chris_app.state import use_app
from chris_app.views.common import Figure, Frame, Note, Section
from chris_app.views.progress_insight import ProgressInsight
from chris_app.views.progress_tiles import ProgressTiles
from chris_app.views.streak import FROZEN_COLOR

WEEKS = summary.CALENDAR_WEEKS


def _cell_look(d, completed, frozen) -> tuple[str, str]:
    """(colour, word) of one day: completed, frozen (a streak freeze bridged it) or not."""
    if d in completed:
        return ft.Colors.PRIMARY, "completed"
    if d in frozen:
        return FROZEN_COLOR, "frozen (a streak freeze kept the streak)"
    return ft.Colors.SURFACE_CONTAINER_HIGHEST, "not completed"


def Heatmap(completed: set, today, frozen: set = frozenset()) -> ft.Control:
    start = today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))
    columns = []
    for w in range(WEEKS):
        cells = []
        for i in range(7):
            d = start + timedelta(days=7 * w + i)
            color, word = _cell_look(d, completed, frozen)
            cells.append(ft.Container(
                width=18, height=18, border_radius=4,
                bgcolor=color if d <= today else ft.Colors.TRANSPARENT,
                tooltip=f"{d:%a %d %b}: {word}",
            ))
        columns.append(ft.Column(cells, spacing=3))
    done_in_view = sum(1 for d in completed if start <= d <= today)
    frozen_in_view = sum(1 for d in frozen if start <= d <= today)
    frozen_words = f", {frozen_in_view} frozen day{'s' if frozen_in_view != 1 else ''}" if frozen_in_view else ""
    return ft.Semantics(
        identifier="heatmap",
        label=f"Calendar of the last {WEEKS} weeks: {done_in_view} completed days{frozen_words}",
        container=True,
        image=True,  # a picture of the days: the label says what it shows, cell by cell is noise
        exclude_semantics=True,
        content=ft.Row(columns, spacing=3, scroll=ft.ScrollMode.AUTO),
    )


def Legend() -> ft.Control:
    """What the heatmap's colours mean."""
    def key(color, text: str) -> ft.Control:
        return ft.Row([ft.Container(width=14, height=14, border_radius=3, bgcolor=color), ft.Text(text, size=13)],
                      spacing=6, tight=True)

    return ft.Semantics(
        identifier="heatmap-legend",
        container=True,
        content=ft.Row([key(ft.Colors.PRIMARY, "Completed"), key(FROZEN_COLOR, "Frozen (streak freeze)"),
                        key(ft.Colors.SURFACE_CONTAINER_HIGHEST, "Missed")],
                       wrap=True, spacing=16, run_spacing=6),
    )


def Chart(points: list[tuple[int, float]], max_y: float, color, label: str, y_title: str) -> ft.Control:
    import flet_charts as fch  # loaded when a chart is first drawn, not at start-up

    chart = fch.LineChart(
        data_series=[fch.LineChartData(
            points=[fch.LineChartDataPoint(x, y) for x, y in points],
            color=color, stroke_width=3, curved=True, prevent_curve_over_shooting=True,
        )],
        min_y=0, max_y=max_y, min_x=0, max_x=max(1, points[-1][0] if points else 1),
        # Room for the axis titles and the labels ("100") at twice the text size.
        left_axis=fch.ChartAxis(title=ft.Text(y_title, size=11), title_size=32, label_size=64),
        bottom_axis=fch.ChartAxis(title=ft.Text("older to newer", size=11), title_size=32, show_labels=False),
        horizontal_grid_lines=fch.ChartGridLines(interval=max_y / 4, color=ft.Colors.OUTLINE_VARIANT, width=1),
        interactive=False,
    )
    # The top label sits half above the chart: the padding keeps it off the section title.
    return ft.Semantics(label=label, container=True,
                        content=ft.Container(height=200, padding=ft.Padding.only(top=20), content=chart))


@ft.component
def Progress():
    app = use_app()
    data = app.read(summary.progress, app.now())
    st, today, ratings, scores, weeks = data.stats, data.today, data.ratings, data.scores, data.weeks

    return Frame("/progress", "Progress", [
        ft.Row([
            Figure("Current streak", f"{st.current_streak}", "progress-current-streak"),
            Figure("Longest streak", f"{st.longest_streak}", "progress-longest-streak"),
            Figure("Completion rate", f"{st.completion_rate}%", "progress-completion-rate"),
            Figure("Discipline score", f"{st.score}%", "progress-score"),
        ], wrap=True, spacing=10, run_spacing=10),
        Section(f"Last {WEEKS} weeks", Heatmap(data.calendar, today, data.frozen), Legend(),
                Note("Each square is a day (Monday at the top). A frozen day was missed but a streak "
                     "freeze kept your streak going.")),
        Section(
            "Discipline rating, last 30 days",
            Chart(ratings, 10, ft.Colors.DEEP_ORANGE, f"Rating trend: {len(ratings)} rated days", "rating")
            if ratings else Note("Rate your day in the evening review to see your trend here."),
        ),
        Section(
            "Discipline score",
            Chart(scores, 100, ft.Colors.GREEN, f"Score curve, now {st.score}%", "score %") if scores
            else Note("Your score starts with your first completed morning."),
            Note("The score forgives a missed day: it rises with each completed morning and fades "
                 "slowly (half-life 13 days) when you miss."),
        ),
        ProgressInsight(today),
        ProgressTiles(),
        Section("Weekly summary", *[
            ft.Semantics(
                identifier=f"week-{w.start.isoformat()}",
                container=True,
                content=ft.Text(
                    f"Week of {w.start:%d %b}: {w.completed}/{w.days} mornings"
                    + (f" · average rating {w.average_rating}" if w.average_rating is not None else "")
                    + f" · {w.actions_done} actions done"),
            )
            for w in weeks
        ]),
    ])
