"""Sign-in `/sign-in`: guest mode explained, or email sign-in / account creation, carrying the
guest data into the account (after a confirmation), sync status, sign-out."""

from __future__ import annotations

import asyncio

import flet as ft

from chris_app.device import device_timezone
from chris_app.sync.errors import SyncError
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Frame, Note, OwnNode, Section, go

GUEST = ("You are using Chris Disciplined as a guest: everything is stored on this device and "
         "works without a network.")


@ft.component
def SignIn():
    app = use_app()
    account = app.account
    email = ft.use_ref("")
    password = ft.use_ref("")
    error, set_error = ft.use_state("")
    message, set_message = ft.use_state("")
    busy, set_busy = ft.use_state(False)
    _, set_tick = ft.use_state(0)  # re-render after account changes (not part of the store)

    def refresh():
        set_tick(lambda n: n + 1)

    async def attempt(action, *args):
        set_error("")
        set_message("")
        set_busy(True)
        try:
            result = await asyncio.to_thread(action, *args)
            if isinstance(result, str):
                set_message(result)
        except SyncError as exc:
            set_error(exc.message)
        finally:
            set_busy(False)
            refresh()

    def carry(_):
        account.carry_guest_data(app.now())
        set_message("Your days, recordings, affirmations and board are being carried into your account.")
        refresh()

    def decline(_):
        account.sign_out()
        set_message("Signed out. Your data stays on this device as before.")
        refresh()

    async def sync_now(_):
        await attempt(account.sync_now)

    async def sign_in(_):
        await attempt(account.sign_in, email.current, password.current)

    async def sign_up(_):
        await attempt(account.sign_up, email.current, password.current, device_timezone())

    def reset():
        account.auth.reset_password(email.current)
        return "If that address has an account, a reset link is on its way."

    async def forgot(_):
        await attempt(reset)

    if account is None:
        return Frame("/sign-in", "Sign in", [Section(
            "Guest mode",
            Note(GUEST),
            Note("No account server is configured for this app, so there is nothing to sign in to. "
                 "Set SUPABASE_URL and SUPABASE_ANON_KEY (or the config file in your user config folder) "
                 "to sync between devices."),
            ft.TextButton("Back to today", on_click=go("/")),
        )])

    ft.use_dialog(ft.AlertDialog(
        modal=True,
        title=ft.Text("Bring your data into your account?"),
        content=ft.Text(f"Signed in as {account.email}. Everything you made on this device as a guest "
                        "(days, recordings, affirmations, vision board) will be added to this account, "
                        "merged with what it already holds. Nothing is deleted."),
        actions=[ft.TextButton("Not now (sign out)", on_click=decline),
                 ft.FilledButton("Bring it in", on_click=carry)],
    ) if account.needs_carry else None)

    if account.engine is not None:
        status = account.status()
        return Frame("/sign-in", "Account", [Section(
            f"Signed in as {account.email}",
            ft.Semantics(identifier="sync-status", container=True,
                         content=ft.Text(f"Sync: {status.message}" if status else "")),
            *[ft.Text(r.message, color=ft.Colors.ERROR) for r in (status.rejections if status else ())],
            ft.Text(account.upload_problem, color=ft.Colors.AMBER_900, visible=bool(account.upload_problem)),
            Note("" if account.remembers_session else
                 "This system has no keychain, so you will sign in again after a restart."),
            ft.Row([
                ft.FilledTonalButton("Sync now", icon=ft.Icons.SYNC, on_click=sync_now, disabled=busy),
                ft.ProgressRing(width=20, height=20, visible=busy),
            ]),
            ft.OutlinedButton("Sign out", on_click=lambda _: (account.sign_out(), refresh())),
            ft.Text(message, color=ft.Colors.GREEN_800, visible=bool(message)),
            ErrorText(error),
        )])

    return Frame("/sign-in", "Sign in", [Section(
        "Sign in to sync",
        Note(GUEST + " Sign in to keep it safe and use it on your other devices."),
        OwnNode(ft.TextField(label="Email", keyboard_type=ft.KeyboardType.EMAIL, autofill_hints=[ft.AutofillHint.EMAIL],
                             on_change=lambda e: setattr(email, "current", e.control.value))),
        OwnNode(ft.TextField(label="Password", password=True, can_reveal_password=True,
                             on_change=lambda e: setattr(password, "current", e.control.value))),
        ft.Row([
            ft.FilledButton("Sign in", on_click=sign_in, disabled=busy),
            ft.OutlinedButton("Create account", on_click=sign_up, disabled=busy),
            ft.TextButton("Forgot password", on_click=forgot, disabled=busy),
            ft.ProgressRing(width=20, height=20, visible=busy),
        ], wrap=True),
        ft.Text(message, color=ft.Colors.GREEN_800, visible=bool(message)),
        ErrorText(error),
    )])
