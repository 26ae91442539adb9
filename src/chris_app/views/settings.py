"""Settings `/settings`: protocol times, time zone, day start, reminders, sound, auto-play,
theme; recording limits; about."""

from __future__ import annotations

import flet as ft

from chris_app import __version__
from chris_app.audio import AudioError, list_input_devices
from chris_app.domain.days import all_timezones
from chris_app.services.profile import get_profile, get_settings, update_profile, update_settings
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Frame, IconAction, Note, OwnNode, Section, Toggle, go
from chris_app.views.data_rights import YourData
from chris_app.views.feedback import cue
from chris_app.views.reading_recorder import uses_stream


@ft.component
def RecordingSettings(prefs):
    """Recording length limits, and on desktops the microphone (remembered by name)."""
    app = use_app()
    page = ft.context.page
    error, set_error = ft.use_state("")
    devices = ft.use_memo(lambda: [] if uses_stream(page) else list_input_devices_quietly(), [])

    def change(**fields):
        outcome = app.act(update_settings, **fields)
        set_error(outcome.error.message if outcome.error else "")

    def number(e, name):
        try:
            change(**{name: int(e.control.value)})
        except ValueError:
            set_error("Write a whole number.")

    controls = [
        # Short labels: a field's floating label wraps over its value once the label is wider
        # than the field, which "Shortest reading (seconds)" was at twice the text size.
        OwnNode(ft.TextField(label="Shortest (seconds)", value=str(prefs.min_recording_seconds),
                             keyboard_type=ft.KeyboardType.NUMBER,
                             on_submit=lambda e: number(e, "min_recording_seconds"),
                             on_blur=lambda e: number(e, "min_recording_seconds"))),
        OwnNode(ft.TextField(label="Longest (minutes)", value=str(prefs.max_recording_minutes),
                             keyboard_type=ft.KeyboardType.NUMBER,
                             on_submit=lambda e: number(e, "max_recording_minutes"),
                             on_blur=lambda e: number(e, "max_recording_minutes"))),
    ]
    if devices:
        controls.append(ft.Dropdown(
            label="Microphone", value=prefs.input_device or "",
            options=[ft.DropdownOption(key="", text="System default")]
            + [ft.DropdownOption(key=d.name, text=d.name) for d in devices],
            on_select=lambda e: change(input_device=e.control.value or None),
        ))
    elif not uses_stream(page):
        controls.append(Note("No microphone was found on this computer."))
    return Section("Recording", *controls, ErrorText(error))


def Saved(visible: bool) -> ft.Control:
    """The confirmation after a save: an icon, not a glyph the offline font may lack."""
    return ft.Row([ft.Icon(ft.Icons.CHECK_CIRCLE, color=ft.Colors.PRIMARY, size=20), ft.Text("Saved")],
                  spacing=6, visible=visible)


def list_input_devices_quietly():
    try:
        return list_input_devices()
    except AudioError:
        return []


def phone_reminders(page: ft.Page):
    """The phone's scheduled reminders (a built phone app only), else None."""
    if page.web or not page.platform.is_mobile():
        return None
    from chris_app.notifications.phone import current

    return current(page)


@ft.component
def Settings():
    app = use_app()
    page = ft.context.page
    phone = phone_reminders(page)
    _, set_phone_status = ft.use_state("")
    if phone is not None:
        phone.on_status_change = lambda: set_phone_status(phone.status + phone.message)
    profile = app.read(get_profile)
    prefs = app.read(get_settings)
    # Uncontrolled fields (see evening.py): what the member types is kept in a ref.
    day_start, set_day_start = ft.use_state(profile.day_start_hour)
    form = ft.use_ref({
        "timezone": profile.timezone,
        "morning_time": profile.morning_time, "evening_time": profile.evening_time,
    }).current
    error, set_error = ft.use_state("")
    saved, set_saved = ft.use_state(False)

    def field(name: str):
        def changed(e):
            form[name] = e.control.value
            if saved:
                set_saved(False)

        return changed

    def save_profile(_):
        outcome = app.act(update_profile, timezone=form["timezone"], day_start_hour=day_start,
                          morning_time=form["morning_time"], evening_time=form["evening_time"])
        set_error(outcome.error.message if outcome.error else "")
        set_saved(outcome.ok)

    def toggle(name: str):  # (the phone's reminders follow on their own, see app.py)
        return lambda e: app.act(update_settings, **{name: bool(e.control.value)})

    def sound_changed(e):
        # Turning Sound on plays the chime the morning ends with: the member hears what it does.
        if app.act(update_settings, sound_enabled=bool(e.control.value)).ok and e.control.value:
            cue(app, page, "morning-done")

    return Frame("/settings", "Settings", [
        Section(
            "Your day",
            ft.MergeSemantics(content=ft.Dropdown(label="Time zone", value=profile.timezone, editable=True, enable_filter=True,
                        menu_height=300, options=[ft.DropdownOption(key=z, text=z) for z in all_timezones()],
                        on_select=field("timezone"))),
            ft.Row(wrap=True, vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
                ft.Semantics(container=True, label=f"Day starts at {day_start:02d}:00",
                             content=ft.Text(f"Day starts at {day_start:02d}:00", size=16)),
                IconAction(ft.Icons.REMOVE, "Earlier day start", lambda _: (
                    set_day_start((day_start - 1) % 24), set_saved(False))),
                IconAction(ft.Icons.ADD, "Later day start", lambda _: (
                    set_day_start((day_start + 1) % 24), set_saved(False))),
            ]),
            Note("Anything you do before this hour counts for the day before."),
            OwnNode(ft.TextField(label="Morning protocol time", value=profile.morning_time, hint_text="05:30",
                                 on_change=field("morning_time"))),
            OwnNode(ft.TextField(label="Evening review time", value=profile.evening_time, hint_text="20:00",
                                 on_change=field("evening_time"))),
            Note("Changing the time zone or day start never moves days you already recorded."),
            ErrorText(error),
            ft.FilledButton("Save", icon=ft.Icons.SAVE, on_click=save_profile),
            Saved(saved),
            identifier="settings-day",
        ),
        Section(
            "Preferences",
            ft.Text("Theme"),
            ft.RadioGroup(
                value=prefs.theme,
                on_change=lambda e: app.act(update_settings, theme=e.control.value),
                content=ft.Row([ft.Radio(value=k, label=k.capitalize()) for k in ("system", "light", "dark")],
                               wrap=True),
            ),
            Toggle("Reminders on this device", prefs.on_device_reminders, toggle("on_device_reminders")),
            *([Note(phone.message)] if phone is not None and phone.message else []),
            *([ft.TextButton("Open the phone's notification settings",
                             on_click=lambda _: page.run_task(phone.open_phone_settings))]
              if phone is not None and phone.status == "denied" else []),
            Toggle("Sound", prefs.sound_enabled, sound_changed),
            Toggle("Play my recording back after saving", prefs.auto_play_recording,
                   toggle("auto_play_recording")),
        ),
        RecordingSettings(prefs),
        Section(
            "Account",
            Note(f"Signed in as {app.account.email}." if app.account is not None and app.account.engine is not None
                 else "Guest mode: your data stays on this device."),
            ft.Row([ft.TextButton("Account and sync", on_click=go("/sign-in")),
                    ft.TextButton("Subscription", on_click=go("/subscribe"))], wrap=True),
        ),
        YourData(),
        ft.TextButton("Replay the introduction", icon=ft.Icons.REPLAY, on_click=go("/welcome")),
        Note(f"Chris Disciplined {__version__}"),
    ])
