"""Building blocks every screen uses: the frame (app bar + navigation), headings, figures,
and messages. Every interactive control gets a semantics label or visible text.

The frame follows the window: below WIDE px (phones, narrow windows) a bottom navigation bar
and the content full width; from WIDE px on (desktops) a navigation rail on the left and the
content in a centred column of at most COLUMN_MAX px, as long lines and stretched cards are
harder to read. The width comes from `Layout`, which app.py keeps up to date on resizes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

from chris_app.domain.days import all_timezones
from chris_app.errors import ChrisError

WIDE = 900
COLUMN_MAX = 720
RAIL_WIDTH = 81  # Flutter's rail with labels (80) and the divider next to it (1)

# Bottom navigation: (route, label, icon).
DESTINATIONS = [
    ("/", "Today", ft.Icons.HOME_OUTLINED),
    ("/morning", "Morning", ft.Icons.WB_SUNNY_OUTLINED),
    ("/evening", "Evening", ft.Icons.NIGHTLIGHT_OUTLINED),
    ("/vision-board", "Board", ft.Icons.GRID_VIEW),
    ("/progress", "Progress", ft.Icons.INSIGHTS),
]


NO_DESTINATION = len(DESTINATIONS)


class NavigationBar(ft.NavigationBar):
    """A NavigationBar that can show no destination selected (screens that are not in it).

    Flet 1.0.5's client turns selected_index None into 0, which would mark "Today" selected.
    Flutter's NavigationBar marks destination i selected exactly when i == selected_index, so
    an index past the last destination selects none (Flutter checks the range only in debug
    builds; Flet's web, desktop and phone clients are release builds). Flet's own range check
    in Python is skipped for that one value."""

    def before_update(self):
        if self.selected_index == NO_DESTINATION:
            super(ft.NavigationBar, self).before_update()
        else:
            super().before_update()


def go(route: str) -> Callable:
    def handler(_=None):
        ft.context.page.navigate(route)

    return handler


@ft.observable
@dataclass
class Layout:
    """The window's width, shared with every screen (app.py provides it and follows resizes):
    a change re-renders the screens that read it."""

    width: float = 0


LayoutContext = ft.create_context(None)


def use_window_layout() -> Layout:
    """The page's Layout, kept equal to the window's width as it is resized (for the component
    at the top of a page, which provides it through LayoutContext)."""
    page = ft.context.page
    layout, _ = ft.use_state(lambda: Layout(width=page.width or 0))

    def follow_the_window():
        def resized(e: ft.PageResizeEvent):
            if e.width != layout.width:
                layout.width = e.width

        page.on_resize = resized

    ft.use_effect(follow_the_window, [])
    return layout


def use_server_read(read: Callable[[], Any]) -> tuple[Any, str, Callable[[], Awaitable[None]]]:
    """What `read` (a blocking call to the server, e.g. `app.account.devices`) answered when the
    component appeared: (the answer, None until it came; the error's sentence, "" when none;
    `load`, to ask again). The call runs in a worker thread, never on the page's loop."""
    answer, set_answer = ft.use_state(None)
    error, set_error = ft.use_state("")

    async def load() -> None:
        set_error("")
        try:
            set_answer(await asyncio.to_thread(read))
        except ChrisError as exc:
            set_error(exc.message)

    ft.use_effect(load, [])  # (an async effect runs as a task on the page's loop)
    return answer, error, load


def use_width() -> float:
    """The window's width in logical pixels (0 when not known yet: the phone layout)."""
    layout = ft.use_context(LayoutContext)
    if layout is not None and layout.width:
        return layout.width
    return ft.context.page.width or 0


def column_width(window_width: float) -> float:
    """The content column's width on a wide window: at most COLUMN_MAX, else what is left
    beside the rail with a margin of 24 px each side."""
    return min(COLUMN_MAX, window_width - RAIL_WIDTH - 2 * 24)


def Frame(route: str, title: str, controls: list[ft.Control], **view_options) -> ft.View:
    nav_routes = [d[0] for d in DESTINATIONS]
    selected = nav_routes.index(route) if route in nav_routes else None
    width = use_width()
    appbar = ft.AppBar(
        title=ft.Text(title),
        automatically_imply_leading=False,
        actions=[
            IconAction(ft.Icons.LIBRARY_MUSIC_OUTLINED, "Recordings", go("/recordings")),
            IconAction(ft.Icons.SETTINGS_OUTLINED, "Settings", go("/settings")),
        ],
    )
    content = ft.Column(controls, spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def navigate(e):
        ft.context.page.navigate(nav_routes[int(e.control.selected_index)])

    if width < WIDE:
        return ft.View(
            route=route,
            scroll=ft.ScrollMode.AUTO,
            padding=ft.Padding.symmetric(horizontal=16, vertical=12),
            appbar=appbar,
            navigation_bar=NavigationBar(
                selected_index=selected if selected is not None else NO_DESTINATION,
                destinations=[ft.NavigationBarDestination(icon=icon, label=label) for _, label, icon in DESTINATIONS],
                on_change=navigate,
            ),
            controls=[content],
            **view_options,
        )
    rail = ft.NavigationRail(
        selected_index=selected,
        label_type=ft.NavigationRailLabelType.ALL,
        destinations=[ft.NavigationRailDestination(icon=icon, label=label) for _, label, icon in DESTINATIONS],
        on_change=navigate,
    )
    # Only the column scrolls: the rail stays where it is.
    column = ft.Column(
        [ft.Row([ft.Container(content, width=column_width(width))], alignment=ft.MainAxisAlignment.CENTER)],
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )
    return ft.View(
        route=route,
        padding=ft.Padding.only(top=12, bottom=12),
        appbar=appbar,
        controls=[ft.Row([rail, ft.VerticalDivider(width=1), column], expand=True, spacing=0,
                         vertical_alignment=ft.CrossAxisAlignment.START)],
        **view_options,
    )


def Heading(text: str) -> ft.Text:
    return ft.Text(text, theme_style=ft.TextThemeStyle.TITLE_LARGE, weight=ft.FontWeight.BOLD)


def Section(title: str, *controls: ft.Control, identifier: str | None = None) -> ft.Control:
    card = ft.Card(
        content=ft.Container(
            padding=16,
            content=ft.Column([ft.Text(title, theme_style=ft.TextThemeStyle.TITLE_MEDIUM,
                                       weight=ft.FontWeight.W_600), *controls], spacing=10),
        )
    )
    return ft.Semantics(identifier=identifier, container=True, content=card) if identifier else card


def Figure(label: str, value: str, identifier: str) -> ft.Control:
    """One statistic, readable by screen readers as "label: value"."""
    return ft.Semantics(
        identifier=identifier,
        label=f"{label}: {value}",
        container=True,
        content=ft.Container(
            padding=12,
            border_radius=12,
            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
            content=ft.Column(
                # At least 150 wide, wider when large text needs it (a fixed width broke words
                # like "Completion" in two at twice the text size).
                [ft.Text(value, size=28, weight=ft.FontWeight.BOLD), ft.Text(label, size=13),
                 ft.Container(width=150 - 2 * 12)],
                spacing=2,
                horizontal_alignment=ft.CrossAxisAlignment.START,
            ),
        ),
    )


def Check(done: bool, text: str) -> ft.Control:
    """One item of a checklist. Screen readers hear the state with the text ("Vision board
    viewed: done" / "...: not done yet"): the icon alone says nothing to them. Done is the
    theme's primary colour, which keeps at least 3:1 against the surface in both themes (a
    fixed green did not in the light one)."""
    return ft.Semantics(
        label=f"{text}: {'done' if done else 'not done yet'}",
        container=True,
        exclude_semantics=True,
        content=ft.Row([
            ft.Icon(ft.Icons.CHECK_CIRCLE if done else ft.Icons.RADIO_BUTTON_UNCHECKED,
                    color=ft.Colors.PRIMARY if done else ft.Colors.OUTLINE),
            ft.Text(text, expand=True),
        ]),
    )


def Toggle(label: str, value: bool, on_change) -> ft.Control:
    """A switch with a label that wraps. ft.Switch(label=...) puts its label in a row that
    cannot wrap, so with large text the label ran off the screen. One accessible node: a
    switch named by its label; a click on the label toggles it too."""
    return ft.MergeSemantics(content=ft.ListTile(
        leading=ft.Switch(value=value, on_change=on_change),
        title=ft.Text(label),
        toggle_inputs=True,
        content_padding=0,
    ))


def TimeZoneField(value: str, on_change: Callable[[str], None]) -> ft.Control:
    """The time zone picker (Settings, and creating an account in the hosted web app, where the
    server's own zone says nothing of the member's): every IANA zone, filtered as one types.
    `on_change` gets the zone taken from the list, or the text typed (which may be no zone: the
    form that saves it checks)."""
    def typed(e: ft.Event) -> None:
        on_change(e.data if isinstance(e.data, str) else (e.control.text or ""))

    return ft.MergeSemantics(content=ft.Dropdown(
        label="Time zone", value=value, editable=True, enable_filter=True, menu_height=300,
        options=[ft.DropdownOption(key=z, text=z) for z in all_timezones()],
        on_select=lambda e: on_change(e.control.value or ""), on_text_change=typed))


def ErrorText(message: str | None) -> ft.Control:
    return ft.Text(message or "", color=ft.Colors.ERROR, visible=bool(message))


def Note(text: str) -> ft.Text:
    return ft.Text(text, size=13, color=ft.Colors.ON_SURFACE_VARIANT)


def IconAction(icon: ft.IconData, label: str, on_click, disabled: bool = False) -> ft.Control:
    """An icon button that screen readers (and tests) find by its label. A bare IconButton's
    tooltip is announced as a separate node with an unnamed button inside; merging a labelled
    Semantics with the button gives one named button."""
    return ft.MergeSemantics(content=ft.Semantics(
        label=label,
        button=True,
        content=ft.IconButton(icon, on_click=on_click, disabled=disabled),
    ))


def OwnNode(control: ft.Control) -> ft.Control:
    """Keep a control (a text field) its own accessibility node with its own bounds. Inside a
    labelled container (a Section) Flutter would otherwise merge it into the container's node,
    whose bounds are the whole card: a tap on the field's centre could land on an image."""
    return ft.Semantics(container=True, content=control)
