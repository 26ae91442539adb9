"""The introduction `/welcome`: three short screens on the first start of a fresh install
(app.py sends the member here once), and again from Settings ("Replay the introduction").

1. The protocol: the morning (read aloud, look at the board, one violent action) and the
   evening, and what a "violent action" is.
2. Your affirmations: keep the starters, write your own, or (signed in) draft them with AI.
3. Reminder times, and on a phone the permission to send notifications.

Every screen can be skipped; skipping or finishing marks the device as introduced, so the
introduction never comes back on its own."""

from __future__ import annotations

import flet as ft

from chris_app.domain import defaults
from chris_app.services.affirmations import active
from chris_app.services.introduction import mark_introduced
from chris_app.services.profile import get_profile, update_profile
from chris_app.state import use_app
from chris_app.views.ai import DraftAffirmations, signed_in
from chris_app.views.common import ErrorText, Note, OwnNode, use_width

STEPS = 3
COLUMN_MAX = 560


def StepDots(step: int) -> ft.Control:
    """Where the member is, for eyes (dots) and for screen readers ("Step 2 of 3")."""
    return ft.Semantics(
        label=f"Step {step} of {STEPS}",
        container=True,
        exclude_semantics=True,
        content=ft.Row([ft.Container(width=24 if i == step else 8, height=8, border_radius=4,
                                     bgcolor=ft.Colors.PRIMARY if i <= step else ft.Colors.OUTLINE_VARIANT)
                        for i in range(1, STEPS + 1)], spacing=6),
    )


def Hero(icon: ft.IconData, title: str) -> list[ft.Control]:
    return [
        ft.Container(ft.Icon(icon, size=40, color=ft.Colors.ON_PRIMARY_CONTAINER), width=72, height=72,
                     border_radius=36, bgcolor=ft.Colors.PRIMARY_CONTAINER, alignment=ft.Alignment.CENTER),
        ft.Text(title, theme_style=ft.TextThemeStyle.HEADLINE_SMALL, weight=ft.FontWeight.BOLD),
    ]


def Point(icon: ft.IconData, title: str, text: str) -> ft.Control:
    return ft.Row([
        ft.Icon(icon, color=ft.Colors.PRIMARY),
        ft.Column([ft.Text(title, weight=ft.FontWeight.W_600), ft.Text(text)], spacing=2, expand=True),
    ], vertical_alignment=ft.CrossAxisAlignment.START, spacing=14)


def ProtocolStep() -> list[ft.Control]:
    return [
        *Hero(ft.Icons.WB_SUNNY_OUTLINED, "Welcome to your daily discipline"),
        ft.Text("Every day has two parts. A few focused minutes in the morning, a short look back "
                "in the evening. Your streak grows with every morning you finish."),
        Point(ft.Icons.RECORD_VOICE_OVER_OUTLINED, "Read aloud",
              "Read your affirmations out loud and record yourself."),
        Point(ft.Icons.GRID_VIEW, "Look at your vision board", "Eight images of the life you are building."),
        Point(ft.Icons.BOLT, "Set one violent action",
              "One bold move outside your comfort zone, done today: the call you keep putting off, "
              "the pitch, the hard conversation. Violent against your own hesitation, never against anyone."),
        Point(ft.Icons.NIGHTLIGHT_OUTLINED, "Review the evening",
              "Did you do it? Rate your discipline and write down your biggest win."),
    ]


def AffirmationsStep(app, leave) -> list[ft.Control]:
    lines = app.read(active).lines if app.read(active) else []
    preview = ft.Container(
        padding=16, border_radius=12, bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
        content=ft.Column([ft.Text(line, italic=True) for line in lines[:4]]
                          + ([Note(f"and {len(lines) - 4} more")] if len(lines) > 4 else []), spacing=6),
    )
    return [
        *Hero(ft.Icons.FORMAT_QUOTE, "Your affirmations"),
        ft.Text("Each morning you read these out loud. You can start with ours:"),
        preview,
        ft.Text("Keep them for now, or make them yours: words you believe in work best."),
        ft.OutlinedButton("Write my own", icon=ft.Icons.EDIT_OUTLINED, on_click=lambda _: leave("/affirmations")),
        *([Note("Or let AI draft them from your goals:"), DraftAffirmations()] if signed_in(app) else []),
    ]


def RemindersStep(profile, times: dict, error: str, phone, page) -> list[ft.Control]:
    """The two reminder times (saved and checked like Settings does when the member goes on)
    and, on a phone, the permission to notify."""

    def changed(name: str):
        def handler(e):
            times[name] = e.control.value

        return handler

    return [
        *Hero(ft.Icons.ALARM, "When should we remind you?"),
        ft.Text("One reminder when your morning protocol starts, one for the evening review. "
                "You can change both in Settings."),
        ft.Row([
            OwnNode(ft.TextField(label="Morning protocol time", value=profile.morning_time, hint_text=defaults.MORNING_TIME,
                                 on_change=changed("morning_time"), width=190)),
            OwnNode(ft.TextField(label="Evening review time", value=profile.evening_time, hint_text=defaults.EVENING_TIME,
                                 on_change=changed("evening_time"), width=190)),
        ], wrap=True, spacing=12, run_spacing=12),
        ErrorText(error),
        *([ft.OutlinedButton("Allow notifications", icon=ft.Icons.NOTIFICATIONS_ACTIVE_OUTLINED,
                             on_click=lambda _: page.run_task(phone.reschedule)),
           Note(phone.message)] if phone is not None else []),
    ]


def phone_reminders(page):
    """The phone's scheduled reminders (a built phone app only), else None."""
    if page.web or not page.platform.is_mobile():
        return None
    from chris_app.notifications.phone import current  # (imports the plugin: phones only)

    return current(page)


@ft.component
def Onboarding():
    app = use_app()
    page = ft.context.page
    step, set_step = ft.use_state(1)
    error, set_error = ft.use_state("")
    width = use_width()
    profile = app.read(get_profile)
    times = ft.use_ref({"morning_time": profile.morning_time, "evening_time": profile.evening_time}).current
    phone = phone_reminders(page)
    _, set_phone_status = ft.use_state("")
    if phone is not None:
        phone.on_status_change = lambda: set_phone_status(phone.status + phone.message)

    def leave(route: str = "/"):
        app.act(mark_introduced)
        page.navigate(route)

    def go_on(_):
        if step < STEPS:
            set_step(step + 1)
            return
        outcome = app.act(update_profile, **times)
        set_error(outcome.error.message if outcome.error else "")
        if outcome.ok:
            leave("/")

    content = {1: ProtocolStep,
               2: lambda: AffirmationsStep(app, leave),
               3: lambda: RemindersStep(profile, times, error, phone, page)}[step]()
    primary = {1: "Next", 2: "Keep these and go on", 3: "Start my first day"}[step]
    column = ft.Column([
        StepDots(step),
        *content,
        ft.Row([
            *([ft.TextButton("Back", icon=ft.Icons.ARROW_BACK, on_click=lambda _: set_step(step - 1))]
              if step > 1 else []),
            ft.FilledButton(primary, icon=ft.Icons.ARROW_FORWARD, on_click=go_on),
        ], alignment=ft.MainAxisAlignment.END),
    ], spacing=18)
    return ft.View(
        route="/welcome",
        scroll=ft.ScrollMode.AUTO,
        padding=ft.Padding.symmetric(horizontal=20, vertical=16),
        appbar=ft.AppBar(
            title=ft.Text("Introduction"),
            automatically_imply_leading=False,
            actions=[ft.TextButton("Skip", on_click=lambda _: leave("/"))],
        ),
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        # a readable measure on wide windows; full width on phones
        controls=[ft.Container(column, width=COLUMN_MAX if width >= COLUMN_MAX + 40 else None)],
    )
