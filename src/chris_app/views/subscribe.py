"""Subscription `/subscribe` and the paywall that replaces the protocol after the trial.

Checkout and the billing portal are Stripe pages opened in the browser; the new status arrives
through Stripe's webhook on the server and comes down with the next sync ("Check my status")."""

from __future__ import annotations

import asyncio

import flet as ft

from chris_app.errors import ChrisError
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Frame, Note, Section, go

GUEST = ("You are using Chris Disciplined as a guest: everything stays on this device, and guest "
         "mode is never paywalled.")


def Paywall(route: str, title: str) -> ft.View:
    """Shown instead of the morning or evening when the trial has ended."""
    return Frame(route, title, [Section(
        "Your free trial has ended",
        Note("Subscribe to keep doing your morning protocol and evening review. Your history stays "
             "yours: progress, recordings and the export of all your data remain open."),
        ft.FilledButton("See the subscription", icon=ft.Icons.WORKSPACE_PREMIUM, on_click=go("/subscribe")),
        ft.Row([ft.TextButton("Progress", on_click=go("/progress")),
                ft.TextButton("Recordings", on_click=go("/recordings")),
                ft.TextButton("Export my data", on_click=go("/settings"))], wrap=True),
        identifier="paywall",
    )])


@ft.component
def Subscribe():
    app = use_app()
    page = ft.context.page
    account = app.account
    busy, set_busy = ft.use_state(False)
    error, set_error = ft.use_state("")
    _, set_tick = ft.use_state(0)

    async def run(work):
        set_error("")
        set_busy(True)
        try:
            return await asyncio.to_thread(work)
        except ChrisError as exc:
            set_error(exc.message)
        finally:
            set_busy(False)
            set_tick(lambda n: n + 1)

    async def open_stripe(function: str):
        result = await run(lambda: account.call_function(function))
        if result and result.get("url"):
            # The web build goes to Stripe in the same tab (a new tab opened after the server's
            # answer is no longer a click, so browsers block it); Stripe returns to the app.
            await ft.UrlLauncher().launch_url(result["url"], web_only_window_name="_self" if page.web else None)

    async def checkout(_):
        await open_stripe("create-checkout-session")

    async def portal(_):
        await open_stripe("customer-portal")

    async def check(_):
        await run(account.sync_now)
        app.revision += 1  # the paywall and the status read what the pull brought

    if not app.signed_in:
        return Frame("/subscribe", "Subscription", [Section(
            "Guest mode is free", Note(GUEST),
            Note("A subscription belongs to an account: sign in first."),
            ft.TextButton("Sign in", on_click=go("/sign-in")),
        )])
    subscription = account.subscription()
    status = subscription.status if subscription else "unknown"
    return Frame("/subscribe", "Subscription", [Section(
        "Chris Disciplined membership",
        ft.Semantics(identifier="subscription-status", container=True, content=ft.Text(
            subscription.describe(app.now()) if subscription else "Sync once to see your subscription.",
            size=16, weight=ft.FontWeight.W_600)),
        Note("The price is shown on the secure Stripe checkout page before you pay."),
        ft.Row([
            ft.FilledButton("Subscribe", icon=ft.Icons.LOCK_OPEN, on_click=checkout, disabled=busy,
                            visible=status not in ("active", "past_due")),
            ft.OutlinedButton("Manage billing", icon=ft.Icons.CREDIT_CARD, on_click=portal, disabled=busy,
                              visible=status in ("active", "past_due", "cancelled")),
            ft.TextButton("Check my status", icon=ft.Icons.REFRESH, on_click=check, disabled=busy),
            ft.ProgressRing(width=20, height=20, visible=busy),
        ], wrap=True),
        ErrorText(error),
    )])
