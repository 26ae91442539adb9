"""Settings → "Devices and sessions" (signed-in members): the devices signed in to the account,
what each is and when it was last seen, and signing out every other device (after a
confirmation). Read from the server when the section opens; failures show the error's sentence."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import flet as ft

from chris_app.domain.account_words import device_line, seen_words
from chris_app.errors import ChrisError
from chris_app.services.profile import get_profile
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Note, Section, use_server_read

ICONS = {"android": ft.Icons.PHONE_ANDROID, "ios": ft.Icons.PHONE_IPHONE, "web": ft.Icons.LANGUAGE}


@ft.component
def DevicesAndSessions():
    app = use_app()
    devices, load_error, load = use_server_read(app.account.devices)  # devices: None until the first answer
    error, set_error = ft.use_state("")  # signing the others out failed
    message, set_message = ft.use_state("")
    busy, set_busy = ft.use_state(False)
    confirming, set_confirming = ft.use_state(False)
    zone = ZoneInfo(app.read(get_profile).timezone)

    async def sign_out_others(_):
        set_confirming(False)
        set_message("")
        set_error("")
        set_busy(True)
        try:
            await asyncio.to_thread(app.account.sign_out_other_sessions)
        except ChrisError as exc:
            set_error(exc.message)
            return
        finally:
            set_busy(False)
        set_message("Your other devices are signed out. They need your password to sign in again.")
        await load()

    ft.use_dialog(ft.AlertDialog(
        modal=True, title=ft.Text("Sign out your other devices?"),
        content=ft.Text("Every other phone, computer and browser signed in to your account is signed out and "
                        "must sign in again. This device stays signed in. Nothing of yours is deleted."),
        actions=[ft.TextButton("Cancel", on_click=lambda _: set_confirming(False)),
                 ft.FilledButton("Sign out other devices", on_click=sign_out_others)],
    ) if confirming else None)

    now = app.now()
    rows: list[ft.Control] = []
    for device in devices or []:
        line, seen = device_line(device.platform, device.app_version), seen_words(device.seen_at, now, device.this_device, zone)
        rows.append(ft.Semantics(label=f"{line}. {seen}", container=True, exclude_semantics=True, content=ft.ListTile(
            leading=ft.Icon(ICONS.get(device.platform or "", ft.Icons.COMPUTER)),
            title=ft.Text(line),
            subtitle=ft.Text(seen, size=13, weight=ft.FontWeight.W_600 if device.this_device else None,
                             color=ft.Colors.PRIMARY if device.this_device else ft.Colors.ON_SURFACE_VARIANT),
            content_padding=0,
        )))
    if devices is None and not load_error:
        rows.append(ft.Row([ft.ProgressRing(width=16, height=16), Note("Looking up your devices…")]))
    elif devices == []:
        rows.append(Note("No device has synced with your account yet."))
    return Section(
        "Devices and sessions",
        Note("The devices signed in to your account, with the app version each last synced with."),
        *rows,
        ft.Row([
            ft.OutlinedButton("Sign out other devices…", icon=ft.Icons.LOGOUT, disabled=busy,
                              on_click=lambda _: (set_message(""), set_confirming(True))),
            ft.ProgressRing(width=20, height=20, visible=busy),
        ], wrap=True),
        ft.Text(message, color=ft.Colors.PRIMARY, visible=bool(message)),
        ErrorText(error or load_error),
        identifier="settings-devices",
    )
