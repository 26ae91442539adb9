"""Sign-in `/sign-in`: guest mode explained, or email or Google sign-in / account creation,
the two-step code when the account has one, carrying the guest data into the account (after a
confirmation), sync status, two-step verification on/off, sign-out.

Google on the web build and on phones leaves the app and comes back to this route with
`?code=…` (or `?error=…`), which is exchanged once and then dropped from the address."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlparse

import flet as ft

from chris_app.device import device_timezone
from chris_app.domain.days import is_valid_timezone
from chris_app.sync.errors import SyncError
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Frame, Note, OwnNode, Section, TimeZoneField, go

PHONE_REDIRECT = "chrisapp://open/sign-in"  # the app's deep link ([tool.flet.deep_linking])

GUEST = ("You are using Chris Disciplined as a guest: everything is stored on this device and "
         "works without a network.")


@ft.component
def SignIn():
    app = use_app()
    page = ft.context.page
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
            return True
        except SyncError as exc:
            set_error(exc.message)
            return False
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

    # A new account's days start and end in this zone. The app on a device knows it; the hosted
    # web app runs on a server, whose zone says nothing of the member's, and asks (the browser's
    # zone does not reach Flet): there the member must choose one.
    zone = ft.use_ref("" if app.hosted else device_timezone())

    async def sign_up(_):
        if not is_valid_timezone(zone.current or ""):
            set_message("")
            set_error("Choose your time zone from the list (type a city to find it).")
            return
        await attempt(account.sign_up, email.current, password.current, zone.current)

    def query() -> dict[str, str]:
        return dict(parse_qsl(urlparse(page.route or "").query))

    async def come_back_from_google():
        params = query()
        if account is None or not ({"code", "error"} & params.keys()):
            return
        if "error" in params:
            from chris_app.account import google_error  # the account loads only when used

            set_error(google_error(params))
            return
        await attempt(account.finish_google, params["code"])
        from chris_app.account import AccountStatus  # loaded with the account

        if account.status is not AccountStatus.GUEST:
            page.navigate("/sign-in")  # signed in: drop the used code from the address

    ft.use_effect(come_back_from_google, [page.route])  # also when the tab comes back to a live session

    async def google(_):
        if page.web or page.platform.is_mobile():
            # page.url is the address of the app's websocket (ws:// or wss://) on the web build
            origin = urlparse(page.url or "")
            scheme = {"ws": "http", "wss": "https"}.get(origin.scheme, origin.scheme)
            redirect = f"{scheme}://{origin.netloc}/sign-in" if page.web else PHONE_REDIRECT
            url = await asyncio.to_thread(account.google_url, redirect)
            await ft.UrlLauncher().launch_url(url, web_only_window_name="_self" if page.web else None)
        else:
            await attempt(account.google_desktop)  # the system browser; back through 127.0.0.1

    code = ft.use_ref("")

    async def verify(_):
        await attempt(account.verify_code, code.current)

    recovering, set_recovering = ft.use_state(False)
    reset_code = ft.use_ref("")
    new_password = ft.use_ref("")

    def reset():
        account.reset_password(email.current)
        return "If that address has an account, an email with a reset code is on its way."

    async def forgot(_):
        if await attempt(reset):
            set_recovering(True)

    async def set_new_password(_):
        if await attempt(account.recover, email.current, reset_code.current, new_password.current):
            set_recovering(False)

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

    if account.needs_code:
        return Frame("/sign-in", "Two-step verification", [Section(
            "Enter your code",
            Note(f"Signed in as {account.email}. Your account has two-step verification: type the 6-digit "
                 "code your authenticator app shows for Chris Disciplined."),
            OwnNode(ft.TextField(label="6-digit code", keyboard_type=ft.KeyboardType.NUMBER, max_length=7,
                                 autofill_hints=[ft.AutofillHint.ONE_TIME_CODE],
                                 on_change=lambda e: setattr(code, "current", e.control.value))),
            ft.Row([
                ft.FilledButton("Verify", on_click=verify, disabled=busy),
                ft.TextButton("Cancel (sign out)", on_click=decline, disabled=busy),
                ft.ProgressRing(width=20, height=20, visible=busy),
            ], wrap=True),
            ErrorText(error),
        )])

    if app.signed_in:
        status = account.sync_status()
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
        ), TwoStep(account)])

    return Frame("/sign-in", "Sign in", [Section(
        "Sign in to sync",
        Note("Sign in to use Chris Disciplined here: your days are kept in your account." if app.hosted  # (hosted web)
             else GUEST + " Sign in to keep it safe and use it on your other devices."),
        OwnNode(ft.TextField(label="Email", keyboard_type=ft.KeyboardType.EMAIL, autofill_hints=[ft.AutofillHint.EMAIL],
                             on_change=lambda e: setattr(email, "current", e.control.value))),
        OwnNode(ft.TextField(label="Password", password=True, can_reveal_password=True,
                             on_change=lambda e: setattr(password, "current", e.control.value))),
        *([TimeZoneField(zone.current, lambda typed: setattr(zone, "current", typed)),
           Note("For a new account: your days start and end in this time zone (Settings can change it).")]
          if app.hosted else []),
        ft.Row([
            ft.FilledButton("Sign in", on_click=sign_in, disabled=busy),
            ft.OutlinedButton("Create account", on_click=sign_up, disabled=busy),
            ft.TextButton("Forgot password", on_click=forgot, disabled=busy),
            ft.ProgressRing(width=20, height=20, visible=busy),
        ], wrap=True),
        ft.Divider(),
        ft.OutlinedButton("Continue with Google", icon=ft.Icons.LOGIN, on_click=google, disabled=busy),
        ft.Text(message, color=ft.Colors.GREEN_800, visible=bool(message)),
        ErrorText(error),
        *([ft.Divider(), ft.Text("Choose a new password", weight=ft.FontWeight.BOLD),
           Note("Type the code from the email we sent to the address above, and your new password."),
           OwnNode(ft.TextField(label="Code from the email", keyboard_type=ft.KeyboardType.NUMBER,
                                autofill_hints=[ft.AutofillHint.ONE_TIME_CODE],
                                on_change=lambda e: setattr(reset_code, "current", e.control.value))),
           OwnNode(ft.TextField(label="New password", password=True, can_reveal_password=True,
                                autofill_hints=[ft.AutofillHint.NEW_PASSWORD],
                                on_change=lambda e: setattr(new_password, "current", e.control.value))),
           ft.FilledButton("Set new password", on_click=set_new_password, disabled=busy)]
          if recovering else []),
    )])


@ft.component
def TwoStep(account):
    """Two-step verification (an authenticator app): state, turn on with a code, turn off."""
    on, set_on = ft.use_state(None)  # None: not known yet (asked from the server)
    enrollment, set_enrollment = ft.use_state(None)
    error, set_error = ft.use_state("")
    busy, set_busy = ft.use_state(False)
    code = ft.use_ref("")

    async def run(work, *args):
        set_error("")
        set_busy(True)
        try:
            return await asyncio.to_thread(work, *args)
        except SyncError as exc:
            set_error(exc.message)
        finally:
            set_busy(False)

    async def load():
        set_on(await run(account.two_step_on))

    ft.on_mounted(load)

    async def start(_):
        set_enrollment(await run(account.start_two_step))

    def confirm_now(factor_id: str, typed: str) -> bool:
        account.confirm_two_step(factor_id, typed)
        return True

    async def confirm(_):
        if await run(confirm_now, enrollment.factor_id, code.current):
            set_enrollment(None)
            set_on(True)

    async def turn_off(_):
        await run(account.turn_off_two_step)
        set_enrollment(None)
        set_on(await run(account.two_step_on))

    if on is True:
        body = [Note("On: signing in on a new device asks for a code from your authenticator app."),
                ft.OutlinedButton("Turn off two-step verification", on_click=turn_off, disabled=busy)]
    elif enrollment is not None:
        body = [
            Note("Add Chris Disciplined to your authenticator app (Google Authenticator, 1Password, …): "
                 "scan the code or type the key, then enter the 6 digits it shows."),
            ft.Image(src=enrollment.qr_svg.encode(), width=180, height=180,
                     semantics_label="QR code for your authenticator app"),
            ft.Semantics(identifier="totp-secret", container=True, label=f"Key: {enrollment.secret}",
                         content=ft.Text(f"Key: {enrollment.secret}", selectable=True)),
            OwnNode(ft.TextField(label="6-digit code", keyboard_type=ft.KeyboardType.NUMBER, max_length=7,
                                 on_change=lambda e: setattr(code, "current", e.control.value))),
            ft.Row([ft.FilledButton("Turn on", on_click=confirm, disabled=busy),
                    ft.TextButton("Cancel", on_click=lambda _: set_enrollment(None), disabled=busy)], wrap=True),
        ]
    elif on is False:
        body = [Note("Off. Turn it on to ask for a code from an authenticator app when you sign in."),
                ft.OutlinedButton("Set up two-step verification", on_click=start, disabled=busy)]
    else:
        body = [Note("Checking…")]
    return Section("Two-step verification", *body,
                   ft.ProgressRing(width=20, height=20, visible=busy), ErrorText(error))
