"""The app's state object, shared by every screen through `AppContext`.

Screens read through the services and call `act()` to change something; a successful change
bumps `revision`, which re-renders the screens that read it. Member-facing failures
(ChrisError) come back as values for the screen to show, never as tracebacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import flet as ft

from chris_app.errors import ChrisError
from chris_app.store import Store

if TYPE_CHECKING:  # the sync stack loads only when a backend is configured (app.py)
    from chris_app.account import Account


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


def shifted_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at `start` and runs at normal speed: for demos and tests that
    live several days in a few minutes (CHRIS_APP_NOW, see cli.py)."""
    offset = start - system_clock()
    return lambda: system_clock() + offset


@dataclass(frozen=True, slots=True)
class Outcome:
    """What `act()` returns: the service's result, or the error the member should read."""

    value: Any = None
    error: ChrisError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@ft.observable
@dataclass
class AppState:
    store: Store
    clock: Callable[[], datetime] = system_clock
    account: Account | None = None  # when a backend is configured
    hosted: bool = False  # hosted web mode (chris_app.hosted): signing in is the only way in
    revision: int = 0

    def now(self) -> datetime:
        return self.clock()

    def act(self, service: Callable[..., Any], *args, **kwargs) -> Outcome:
        """Run `service(store, now, *args, **kwargs)`; refresh the screens if it worked."""
        try:
            value = service(self.store, self.now(), *args, **kwargs)
        except ChrisError as exc:
            return Outcome(error=exc)
        self.revision += 1
        if self.account is not None:
            self.account.kick()  # push the change soon, in the background
        return Outcome(value=value)

    @property
    def signed_in(self) -> bool:
        """Signed in and syncing on this device (a guest, a code still owed or data not yet
        carried in are not)."""
        if self.account is None:
            return False
        from chris_app.account.status import AccountStatus  # loaded with the account

        return self.account.status is AccountStatus.SYNCING

    def paywalled(self) -> bool:
        """A signed-in member past their trial and not active (guests never are)."""
        _ = self.revision
        subscription = self.account.subscription() if self.account is not None else None
        return bool(subscription and subscription.paywalled(self.now()))

    def read(self, query: Callable[..., Any], *args) -> Any:
        """Run a read-only service; screens call this in render, so it tracks `revision`."""
        _ = self.revision
        return query(self.store, *args)


AppContext = ft.create_context(None)


def use_app() -> AppState:
    return ft.use_context(AppContext)
