"""Settings `/settings`: protocol times, time zone, day start; reminders (the parts of the day,
this device's notifications and, for a signed-in member, push, email and the weekly email, with
one line saying how reminders reach the member now); sound, auto-play, theme; recording limits;
the read-aloud check (opt-in); account, and for a signed-in member its devices and sessions;
error reports (opt-in, when the app has somewhere to send them); your data; about."""

from __future__ import annotations

import flet as ft

from chris_app import __version__, reporting
from chris_app.audio import AudioError, list_input_devices
from chris_app.domain import defaults
from chris_app.services.profile import get_profile, get_server_facts, get_settings, update_profile, update_settings
from chris_app.services.reminder_plan import account_member, describe_reach, device_plan
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Frame, IconAction, Note, OwnNode, Section, TimeZoneField, Toggle, go
from chris_app.views.data_rights import YourData
from chris_app.views.devices import DevicesAndSessions
from chris_app.views.feedback import cue
from chris_app.views.read_aloud_check import ReadAloudSetting
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


def Switch(label: str, meaning: str, value: bool, on_change, time: str | None = None) -> ft.Control:
    """A switch with its label, one line saying what it means under it, and (for a part of the
    day) its time at the end. One accessible node, named by all three; a click on the text
    toggles it too (as common.Toggle)."""
    return ft.MergeSemantics(content=ft.ListTile(
        leading=ft.Switch(value=value, on_change=on_change),
        title=ft.Text(label),
        subtitle=ft.Text(meaning, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
        trailing=ft.Text(time, size=16, weight=ft.FontWeight.W_600) if time else None,
        toggle_inputs=True,
        content_padding=0,
    ))


def switched(e: ft.Event) -> bool:
    """The value a switch was turned to, as the client reports it in the event. Not
    `e.control.value`: a re-render in between (a sync finishing) can hand the handler a control
    that still holds the value before the click, and the click was then lost."""
    if isinstance(e.data, bool):
        return e.data
    return str(e.data).strip().lower() == "true"


def where_it_runs(page: ft.Page) -> str:
    """What this app can show by itself: a phone schedules, a computer shows them while the app
    is open, a browser tab shows none (reminder_plan.Device)."""
    if page.web:
        return "web"
    return "phone" if page.platform.is_mobile() else "desktop"


@ft.component
def Reminders(phone):
    """The reminder switches, each saved (and synced) at once, and how reminders reach the
    member now: the same plan the desktop runner and the phone's scheduler follow."""
    app = use_app()
    page = ft.context.page
    now = app.now()
    signed_in, paywalled = account_member(app.account, app.now)()
    profile = app.read(get_profile)
    prefs = app.read(get_settings)
    facts = app.read(get_server_facts)
    plan = app.read(lambda store: device_plan(store, now, signed_in=signed_in, paywalled=paywalled))
    email = app.account.email if signed_in else None
    reach = describe_reach(plan, prefs, facts, signed_in=signed_in, paywalled=paywalled, email=email,
                           device=where_it_runs(page))

    def switch(name: str):
        return lambda e: app.act(update_settings, **{name: switched(e)})

    reaching = reach.by is not None
    controls: list[ft.Control] = [
        ft.Semantics(identifier="reminders-reach", container=True, content=ft.Container(
            padding=12, border_radius=12,
            bgcolor=ft.Colors.SECONDARY_CONTAINER if reaching else ft.Colors.SURFACE_CONTAINER_HIGHEST,
            content=ft.Row([
                ft.Icon(ft.Icons.NOTIFICATIONS_ACTIVE_OUTLINED if reaching else ft.Icons.NOTIFICATIONS_OFF_OUTLINED,
                        color=ft.Colors.ON_SECONDARY_CONTAINER if reaching else ft.Colors.ON_SURFACE_VARIANT),
                ft.Text(reach.text, expand=True,
                        color=ft.Colors.ON_SECONDARY_CONTAINER if reaching else ft.Colors.ON_SURFACE),
            ], vertical_alignment=ft.CrossAxisAlignment.CENTER),
        )),
        Switch("Morning reminder", "At your morning protocol time, unless the morning is already done.",
               prefs.morning_reminder, switch("morning_reminder"), profile.morning_time),
        Switch("Evening reminder", "At your evening review time, unless the review is already done.",
               prefs.evening_reminder, switch("evening_reminder"), profile.evening_time),
        Note("The times are set under Your day."),
        ft.Divider(height=1),
        Switch("Notifications on this device",
               "Used only when neither push nor email reaches you, so no reminder comes twice."
               if signed_in else "This device reminds you at your times.",
               prefs.on_device_reminders, switch("on_device_reminders")),
    ]
    if phone is not None and plan.reminds and phone.message:
        controls.append(Note(phone.message))
    if phone is not None and phone.status == "denied":
        controls.append(ft.TextButton("Open the phone's notification settings",
                                      on_click=lambda _: page.run_task(phone.open_phone_settings)))
    if signed_in:
        controls += [
            Switch("Push notifications to my phone",
                   "Sent to the phone you use the app on, even when the app is closed.",
                   prefs.push_notifications, switch("push_notifications")),
            Switch("Email reminders",
                   f"Sent to {email} when no push notification can reach you." if email
                   else "Sent by email when no push notification can reach you.",
                   prefs.email_reminders, switch("email_reminders")),
            Switch("Weekly progress email", "Your streak and score of the week, once a week by email.",
                   prefs.weekly_email, switch("weekly_email")),
        ]
    else:
        controls += [
            Note("Push notifications and email reminders need an account: sign in to get them on any device."),
            ft.TextButton("Sign in", on_click=go("/sign-in")),
        ]
    return Section("Reminders", *controls, identifier="settings-reminders")


def phone_reminders(page: ft.Page):
    """The phone's scheduled reminders (a built phone app only), else None."""
    if page.web or not page.platform.is_mobile():
        return None
    from chris_app.notifications.phone import current

    return current(page)


@ft.component
def ErrorReports(dsn: str):
    """The opt-in switch (off by default, kept on this device only), applied at once."""
    app = use_app()
    on = app.read(reporting.enabled)

    def changed(e):
        # On the page's loop (a sync handler runs there too): reporting can then watch the loop's tasks.
        if app.act(reporting.set_enabled, switched(e)).ok:
            reporting.apply(app.store, app.account, dsn)

    return Section("Error reports",
                   Switch(reporting.SWITCH_LABEL, reporting.SWITCH_MEANING, on, changed),
                   Note("Your choice is kept on this device only."),
                   identifier="settings-error-reports")


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
    # Error reports need somewhere to go; in the hosted web mode its operators decide them.
    dsn = ft.use_memo(reporting.configured_dsn, [])
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
            typed(name, e.control.value)

        return changed

    def typed(name: str, value) -> None:
        if form.get(name) == value:  # (the time zone field also reports its text unchanged)
            return
        form[name] = value
        if saved:
            set_saved(False)

    def save_profile(_):
        outcome = app.act(update_profile, timezone=form["timezone"], day_start_hour=day_start,
                          morning_time=form["morning_time"], evening_time=form["evening_time"])
        set_error(outcome.error.message if outcome.error else "")
        set_saved(outcome.ok)

    def toggle(name: str):
        return lambda e: app.act(update_settings, **{name: switched(e)})

    def sound_changed(e):
        # Turning Sound on plays the chime the morning ends with: the member hears what it does.
        on = switched(e)
        if app.act(update_settings, sound_enabled=on).ok and on:
            cue(app, page, "morning-done")

    return Frame("/settings", "Settings", [
        Section(
            "Your day",
            TimeZoneField(profile.timezone, lambda zone: typed("timezone", zone)),
            ft.Row(wrap=True, vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
                ft.Semantics(container=True, label=f"Day starts at {day_start:02d}:00",
                             content=ft.Text(f"Day starts at {day_start:02d}:00", size=16)),
                IconAction(ft.Icons.REMOVE, "Earlier day start", lambda _: (
                    set_day_start((day_start - 1) % 24), set_saved(False))),
                IconAction(ft.Icons.ADD, "Later day start", lambda _: (
                    set_day_start((day_start + 1) % 24), set_saved(False))),
            ]),
            Note("Anything you do before this hour counts for the day before."),
            OwnNode(ft.TextField(label="Morning protocol time", value=profile.morning_time, hint_text=defaults.MORNING_TIME,
                                 on_change=field("morning_time"))),
            OwnNode(ft.TextField(label="Evening review time", value=profile.evening_time, hint_text=defaults.EVENING_TIME,
                                 on_change=field("evening_time"))),
            Note("Changing the time zone or day start never moves days you already recorded."),
            ErrorText(error),
            ft.FilledButton("Save", icon=ft.Icons.SAVE, on_click=save_profile),
            Saved(saved),
            identifier="settings-day",
        ),
        Reminders(phone),  # (the phone's reminders follow on their own, see app.py)
        Section(
            "Preferences",
            ft.Text("Theme"),
            ft.RadioGroup(
                value=prefs.theme,
                on_change=lambda e: app.act(update_settings, theme=e.control.value),
                content=ft.Row([ft.Radio(value=k, label=k.capitalize()) for k in ("system", "light", "dark")],
                               wrap=True),
            ),
            Toggle("Sound", prefs.sound_enabled, sound_changed),
            Toggle("Play my recording back after saving", prefs.auto_play_recording,
                   toggle("auto_play_recording")),
        ),
        RecordingSettings(prefs),
        ReadAloudSetting(),
        Section(
            "Account",
            Note(f"Signed in as {app.account.email}." if app.signed_in
                 else "Guest mode: your data stays on this device."),
            ft.Row([ft.TextButton("Account and sync", on_click=go("/sign-in")),
                    ft.TextButton("Subscription", on_click=go("/subscribe"))], wrap=True),
        ),
        # Placeholders keep every section at its place in the list: a section coming or going
        # (signing out, deleting the account) must not shift "Your data" and reset its state.
        DevicesAndSessions() if app.signed_in else ft.Container(visible=False),
        ErrorReports(dsn) if dsn and not app.hosted else ft.Container(visible=False),
        YourData(),
        ft.TextButton("Replay the introduction", icon=ft.Icons.REPLAY, on_click=go("/welcome")),
        Note(f"Chris Disciplined {__version__}"),
    ])
