"""Wires the parts together: the store, the app state, the routes. Nothing else lives here."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import flet as ft

from chris_app import reporting
from chris_app.device import device_timezone
from chris_app.notifications.runner import ReminderRunner, desktop_notify
from chris_app.services import recordings
from chris_app.services.introduction import needs_introduction
from chris_app.services.profile import ensure_profile, get_settings
from chris_app.services.reminder_plan import account_member, plan_key
from chris_app.state import AppContext, AppState, system_clock
from chris_app.store import Store
from chris_app.sync.config import load_config
from chris_app.views.affirmations import Affirmations
from chris_app.views import render_guard
from chris_app.views.common import LayoutContext, use_window_layout
from chris_app.views.evening import Evening
from chris_app.views.home import Home
from chris_app.views.leaderboard import Leaderboard
from chris_app.views.morning import Morning
from chris_app.views.onboarding import Onboarding
from chris_app.views.progress import Progress
from chris_app.views.recordings import Recordings
from chris_app.views.settings import Settings
from chris_app.views.sign_in import SignIn
from chris_app.views.subscribe import Subscribe
from chris_app.views.vision_board import VisionBoard

ROUTES = [
    ft.Route(index=True, component=Home),
    ft.Route(path="morning", component=Morning),
    ft.Route(path="evening", component=Evening),
    ft.Route(path="affirmations", component=Affirmations),
    ft.Route(path="vision-board", component=VisionBoard),
    ft.Route(path="progress", component=Progress),
    ft.Route(path="recordings", component=Recordings),
    ft.Route(path="settings", component=Settings),
    ft.Route(path="sign-in", component=SignIn),
    ft.Route(path="subscribe", component=Subscribe),
    ft.Route(path="leaderboard", component=Leaderboard),
    ft.Route(path="welcome", component=Onboarding),
]
if TYPE_CHECKING:
    from chris_app.account import Account

# The app's own font, from assets/fonts/ (served with the app, so offline builds render text the
# same everywhere instead of falling back to whatever the device or the web build has).
FONT_FAMILY = "Inter"
FONTS = {FONT_FAMILY: "/fonts/Inter.ttf"}

THEMES = {"light": ft.ThemeMode.LIGHT, "dark": ft.ThemeMode.DARK, "system": ft.ThemeMode.SYSTEM}


@ft.component
def NotFoundView():
    return ft.View(route="/404", controls=[
        ft.Text("This page does not exist."),
        ft.TextButton("Go to today", on_click=lambda _: ft.context.page.navigate("/")),
    ])


@ft.component
def App(store: Store, clock: Callable[[], datetime], account: Account | None, first_route: str | None = None,
        app_state: AppState | None = None):
    """`app_state`: the page's own state, made by its owner (the hosted mode's member space)."""
    app, _ = ft.use_state(lambda: app_state or AppState(store=store, clock=clock, account=account))
    page = ft.context.page
    layout = use_window_layout()

    def introduce_a_new_member():
        """A fresh install opening on Today gets the introduction first (once: finishing or
        skipping it marks the device). A link to another screen (a reminder's tap, or the
        desktop link the app was started with: `first_route`) is obeyed."""
        if first_route is None and (page.route or "/") == "/" and needs_introduction(store):
            page.navigate("/welcome")

    ft.use_effect(introduce_a_new_member, [])
    page.theme_mode = THEMES[app.read(get_settings).theme]

    def follow_the_account():
        """Synced or live (Realtime) changes re-render the screens, on the page's own loop."""
        if account is None:
            return None

        async def refresh():
            app.revision += 1

        return account.on_change(lambda: page.run_task(refresh))

    ft.use_effect(follow_the_account, [])

    def recover_interrupted_reading():
        """A streamed reading the previous run did not live to save (app killed mid-take)
        becomes today's reading in the background; the screens refresh when it is in."""
        if recordings.has_unfinished_takes(store):
            async def recover():
                await asyncio.to_thread(app.act, recordings.recover_unfinished)

            page.run_task(recover)

    ft.use_effect(recover_interrupted_reading, [])
    # Phones: the scheduled reminders follow the plan (times, switches, what is done today, the
    # server's channel, the paywall; changed here or synced from another device), and the push
    # registration follows the push switch. Elsewhere nothing is read for it.
    on_phone = page.platform.is_mobile() and not page.web
    ft.use_effect(lambda: kick_phone_reminders(page),
                  [app.read(plan_key, app.now(), account_member(account, clock)()) if on_phone else None])
    ft.use_effect(lambda: kick_push(page),
                  [app.read(get_settings).push_notifications if on_phone else None])
    return AppContext(app, lambda: LayoutContext(
        layout, lambda: ft.Router(ROUTES, not_found=NotFoundView, manage_views=True)))


def kick_phone_reminders(page: ft.Page) -> None:
    """Reschedule the phone's reminders (a built phone app only)."""
    if page.web or not page.platform.is_mobile():
        return
    from chris_app.notifications.phone import current  # (imports the plugin: phones only)

    if (phone := current(page)) is not None:
        phone.kick()


def kick_push(page: ft.Page) -> None:
    """Bring the phone's push registration in line with the push switch (a built phone app only)."""
    if page.web or not page.platform.is_mobile():
        return
    from chris_app.notifications.push import current  # (imports the plugin: phones only)

    if (push := current(page)) is not None:
        push.kick()


def make_main(store: Store, clock: Callable[[], datetime] = system_clock,
              first_route: str | None = None, web: bool = False) -> Callable[[ft.Page], None]:
    """The page handler. `first_route`: the screen a desktop link started the app with
    (chris_app/links.py opens it); the first-run introduction then waits for the next start.
    `web`: served to a browser (`--web`), which the account's pulls report as the platform."""
    ensure_profile(store, clock(), device_timezone())
    recordings.clean_up(store)  # what a crash may have left half-done
    account = None  # guest mode: no account, nothing to show
    config = load_config()
    device_secrets = os.environ.get("CHRIS_APP_SECRETS") == "device"
    if config is not None and not device_secrets:
        from chris_app.account import Account  # the sync stack loads only when configured

        # desktops and --web: the session in the system keyring
        account = Account(store, config, platform="web" if web else None)
        account.restore()
    reporting.apply(store, account)  # error reports, if the member turned them on in Settings
    render_guard.install()  # one part failing to draw must not freeze every screen

    async def main(page: ft.Page) -> None:
        page_account = account
        if config is not None and (page.platform.is_mobile() or device_secrets):
            page_account = await account_in_secure_storage(store, config, platform_of(page))
            # the session ended (web: expired after the tab closed): stop its sync and socket
            page.on_close = lambda _: threading.Thread(target=page_account.close, daemon=True).start()
        dress(page, THEMES[get_settings(store).theme])
        page.render_views(lambda: App(store, clock, page_account, first_route))
        member = account_member(page_account, clock)  # () -> (signed in, behind the paywall)
        if not page.web and not page.platform.is_mobile():
            # Desktop: reminders while the app runs (desktop-notifier); the web build has none.
            notify = desktop_notify()
            if notify:
                runner = ReminderRunner(store, clock, notify, page.navigate, member=member)
                page.run_task(runner.run_forever)
        elif page.platform.is_mobile() and not page.web:
            # Phones: reminders the phone itself schedules (flet-notifications, in a built
            # app; a phone's browser reports the platform too, hence `not page.web`).
            from chris_app.notifications.phone import install
            from chris_app.notifications.push import install as install_push
            from chris_app.sync.config import load_push_app_id

            install(page, store, clock, member=member)
            # server push (OneSignal) for a signed-in member; nothing without an app id or account
            install_push(page, store, page_account, load_push_app_id())

            def resumed(e: ft.AppLifecycleStateChangeEvent) -> None:
                # back in the foreground (maybe days later): keep the 30 days of reminders full
                # and the push registration current
                if e.state == ft.AppLifecycleState.RESUME:
                    kick_phone_reminders(page)
                    kick_push(page)

            page.on_app_lifecycle_state_change = resumed

    return main


def dress(page: ft.Page, theme_mode: ft.ThemeMode) -> None:
    """Title, font and themes of a new page. The theme mode is set before the first render
    too: a page property changed only inside the first render does not reach a freshly
    connected client."""
    page.title = "Chris Disciplined"
    page.fonts = FONTS
    page.theme = ft.Theme(color_scheme_seed=ft.Colors.DEEP_ORANGE, font_family=FONT_FAMILY)
    page.dark_theme = ft.Theme(color_scheme_seed=ft.Colors.DEEP_ORANGE, font_family=FONT_FAMILY)
    page.theme_mode = theme_mode


def platform_of(page: ft.Page) -> str | None:
    """What the account's pulls report as this device's platform: 'web' in a browser (a
    phone's browser too), 'android' / 'ios' in the phone apps; None on desktops (the account
    names the operating system itself)."""
    if page.web:
        return "web"
    return {ft.PagePlatform.ANDROID: "android", ft.PagePlatform.IOS: "ios"}.get(page.platform)


async def account_in_secure_storage(store: Store, config, platform: str | None = None) -> Account:
    """Phones keep the session in Flet SecureStorage (no system keyring there); one account
    per page, since the session lives with the client."""
    from flet_secure_storage import SecureStorage

    from chris_app.account import Account
    from chris_app.sync.device_secrets import DeviceSecrets

    secrets = DeviceSecrets(SecureStorage(), asyncio.get_running_loop())
    await secrets.load()
    account = Account(store, config, secrets=secrets, platform=platform)
    await asyncio.to_thread(account.restore)
    return account
