"""Settings → "Your data": export everything as a zip, wipe this device, delete the account (each
with a confirmation), and for a signed-in member the account's activity (its audit log).

A signed-in member's export holds everything the account holds: the device syncs first, then
downloads the readings made on other devices that it has no file for, with progress on screen.
When that fails (offline, a download refused) nothing is exported half-silently: the member reads
why and chooses to try again or to export what is on this device, whose README then counts what
is missing. In the web build the server can build the archive instead (the `export-data`
function) and hand a short-lived link."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import flet as ft

from chris_app import reporting
from chris_app.device import device_timezone
from chris_app.domain.account_words import event_words, when_words
from chris_app.errors import ChrisError
from chris_app.services.data_rights import export_name, wipe_device, write_export
from chris_app.services.profile import get_profile
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Note, Section, use_server_read

SYNC_TROUBLE = ("OFFLINE", "ERROR", "BUSY")  # SyncState names: the account could not be checked


def readings_word(n: int) -> str:
    return f"{n} reading{'' if n == 1 else 's'}"


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{max(1, round(size / 1000))} KB"


def server_export_message(link, zone: ZoneInfo) -> str:
    """What the member reads once the server's archive is ready (`link`: account.ExportLink)."""
    until = f"{link.expires_at.astimezone(zone):%H:%M}"
    n = len(link.parts)
    if n <= 1:
        text = f"Your export ({megabytes(link.bytes)}) is downloading. Its link works until {until}."
    else:
        text = (f"Your export ({megabytes(link.bytes)}) comes in {n} parts, each a zip of its own: part 1 is "
                f"downloading, the others have a button each. Their links work until {until}.")
    if link.not_exported:
        text += (f" {link.not_exported} file{'' if link.not_exported == 1 else 's'} too large to export "
                 f"{'is' if link.not_exported == 1 else 'are'} listed in its README.")
    return text


@ft.component
def YourData():
    app = use_app()
    page = ft.context.page
    busy, set_busy = ft.use_state(False)
    progress, set_progress = ft.use_state(None)  # (text, share done 0..1 or None) while exporting
    problem, set_problem = ft.use_state("")  # why a complete export could not be made
    message, set_message = ft.use_state("")
    error, set_error = ft.use_state("")
    confirming, set_confirming = ft.use_state("")  # "wipe" | "delete" while a dialog is open
    parts, set_parts = ft.use_state(())  # the server archive's parts, when there are several
    picker = ft.use_ref(None)
    signed_in = app.signed_in

    async def bring_readings_here() -> str:
        """Sync, then download every reading this device has no file for; "" when all are
        here, else the sentence saying why not."""
        account = app.account
        set_progress(("Checking your account for readings made on other devices…", None))
        status = await asyncio.to_thread(account.sync_now)
        while status is not None and status.state.name == "SYNCING":  # a background run: ours follows it
            await asyncio.sleep(0.5)
            status = await asyncio.to_thread(account.sync_now)
        if status is not None and status.state.name in SYNC_TROUBLE:
            return ("Your export is not ready: your account could not be checked for readings made on other "
                    f"devices. {status.message}")
        missing = account.remote_recordings_missing()
        for done, recording_id in enumerate(missing):
            set_progress((f"Downloading readings: {done + 1} of {len(missing)}", done / len(missing)))
            try:
                await asyncio.to_thread(account.download_recording, recording_id)
            except ChrisError as exc:
                left = len(missing) - done
                return (f"Your export is not ready: {left} of {len(missing)} readings made on another device could "
                        f"not be downloaded. {exc.message}")
        return ""

    async def export(complete: bool):
        set_error("")
        set_message("")
        set_problem("")
        set_busy(True)
        try:
            if complete and signed_in:
                trouble = await bring_readings_here()
                if trouble:
                    set_problem(trouble)
                    return
            set_progress(("Writing your export…", None))
            left = len(app.account.remote_recordings_missing()) if signed_in else 0
            name = export_name(app.store, app.now())
            with tempfile.TemporaryDirectory() as tmp:
                built = await asyncio.to_thread(write_export, app.store, app.now(), Path(tmp) / name)
                if picker.current is None:
                    picker.current = ft.FilePicker()
                if page.web or page.platform.is_mobile():
                    await picker.current.save_file(file_name=name, src_bytes=built.read_bytes())
                    done = f"Your export {name} is downloading."
                else:
                    chosen = await picker.current.save_file(file_name=name, allowed_extensions=["zip"])
                    if not chosen:
                        return
                    shutil.copyfile(built, chosen)
                    done = f"Saved your export to {chosen}."
            if left:
                done += (f" {readings_word(left)} made on another device {'is' if left == 1 else 'are'} not in it:"
                         " its README says so.")
            set_message(done)
        except ChrisError as exc:
            set_error(exc.message)
        except OSError as exc:
            set_error(f"The export could not be saved ({exc.strerror or exc}).")
        finally:
            set_progress(None)
            set_busy(False)

    async def server_export(_):
        """Web: the server builds the whole account's archive; its link opens in the browser."""
        set_error("")
        set_message("")
        set_problem("")
        set_parts(())
        set_busy(True)
        set_progress(("The server is preparing your export…", None))
        try:
            link = await asyncio.to_thread(app.account.export_link)
        except ChrisError as exc:
            set_error(exc.message)
            return
        finally:
            set_progress(None)
            set_busy(False)
        set_message(server_export_message(link, ZoneInfo(app.read(get_profile).timezone)))
        set_parts(link.parts if len(link.parts) > 1 else ())
        await ft.UrlLauncher().launch_url(link.url)

    def wipe(_):
        set_confirming("")
        outcome = app.act(wipe_device, device_timezone())
        reporting.apply(app.store, app.account)  # a wiped device reports nothing until asked again
        set_message("Everything was deleted from this device. You start fresh." if outcome.ok else "")
        set_error(outcome.error.message if outcome.error else "")

    async def delete_account(_):
        set_confirming("")
        set_busy(True)
        try:
            await asyncio.to_thread(app.account.delete_account)
        except ChrisError as exc:
            set_error(exc.message)
            return
        finally:
            set_busy(False)
        app.act(wipe_device, device_timezone())
        reporting.apply(app.store, app.account)
        set_message("Your account and all its data were deleted, on the server and on this device.")

    danger = ft.ButtonStyle(bgcolor=ft.Colors.ERROR, color=ft.Colors.ON_ERROR)
    dialogs = {
        "wipe": ("Wipe this device?",
                 "This deletes all your days, recordings, affirmations and vision board from this device. "
                 "It cannot be undone. Export first if you want to keep a copy.",
                 ft.FilledButton("Wipe everything", on_click=wipe, style=danger)),
        "delete": ("Delete your account?",
                   "This deletes your account and everything in it — days, recordings, images, affirmations — "
                   "on the server and on this device, and ends your subscription. It cannot be undone. "
                   "Export first if you want to keep a copy.",
                   ft.FilledButton("Delete my account for good", on_click=delete_account, style=danger)),
    }
    title, text, confirm = dialogs.get(confirming, (None, None, None))
    ft.use_dialog(ft.AlertDialog(
        modal=True, title=ft.Text(title), content=ft.Text(text),
        actions=[ft.TextButton("Keep my data", on_click=lambda _: set_confirming("")), confirm],
    ) if confirming else None)

    controls: list[ft.Control] = [
        Note("Export is a zip with all your data (data.json), your recordings and your images."
             + (" Readings you made on other devices are downloaded to this one first." if signed_in else "")),
        ft.Row([
            ft.FilledTonalButton("Export my data", icon=ft.Icons.DOWNLOAD, disabled=busy,
                                 on_click=lambda _: page.run_task(export, True)),
            ft.ProgressRing(width=20, height=20, visible=busy and progress is None),
        ], wrap=True),
    ]
    # Every slot is always there (hidden when empty): the activity list below is a component,
    # and a control appearing above it must not shift it and make it load again.
    server_offer = signed_in and page.web
    text, share = progress or ("", None)
    controls += [
        ft.Column([
            Note("Or have the server put your whole account in one archive and download it from there."),
            ft.OutlinedButton("Download from the server", icon=ft.Icons.CLOUD_DOWNLOAD, disabled=busy,
                              on_click=server_export),
            ft.Row([ft.TextButton(f"Part {k} of {len(parts)} ({megabytes(part.bytes)})", icon=ft.Icons.DOWNLOAD,
                                  on_click=lambda _, url=part.url: page.run_task(ft.UrlLauncher().launch_url, url))
                    for k, part in enumerate(parts, start=1)], wrap=True, visible=bool(parts)),
        ], spacing=10, visible=server_offer),
        ft.Semantics(identifier="export-progress", container=True, visible=progress is not None,
                     content=ft.Column([ft.Text(text), ft.ProgressBar(value=share)], spacing=6)),
        ft.Semantics(identifier="export-problem", container=True, visible=bool(problem), content=ft.Container(
            padding=12, border_radius=12, bgcolor=ft.Colors.ERROR_CONTAINER,
            content=ft.Column([
                ft.Text(problem, color=ft.Colors.ON_ERROR_CONTAINER),
                ft.Row([
                    ft.FilledButton("Try again", icon=ft.Icons.REFRESH, on_click=lambda _: page.run_task(export, True)),
                    ft.OutlinedButton("Export what is on this device",
                                      on_click=lambda _: page.run_task(export, False)),
                ], wrap=True),
            ], spacing=10))),
        ft.OutlinedButton("Wipe this device…", icon=ft.Icons.DELETE_FOREVER, on_click=lambda _: set_confirming("wipe"),
                          style=ft.ButtonStyle(color=ft.Colors.ERROR)),
        ft.OutlinedButton("Delete my account…", icon=ft.Icons.PERSON_REMOVE, visible=signed_in,
                          on_click=lambda _: set_confirming("delete"), style=ft.ButtonStyle(color=ft.Colors.ERROR)),
        ft.Text(message, color=ft.Colors.PRIMARY, visible=bool(message)),
        ErrorText(error),
        AccountActivity() if signed_in else ft.Container(visible=False),
    ]
    return Section("Your data", *controls, identifier="your-data")


@ft.component
def AccountActivity():
    """The account's audit log: exports, deletion, support access, other devices signed out."""
    app = use_app()
    entries, error, load = use_server_read(app.account.activity)
    zone = ZoneInfo(app.read(get_profile).timezone)
    rows: list[ft.Control] = []
    for entry in entries or []:
        what, when = event_words(entry.event, entry.actor, entry.detail), when_words(entry.at, zone)
        rows.append(ft.Semantics(label=f"{what}, {when}", container=True, exclude_semantics=True, content=ft.Column([
            ft.Text(what), ft.Text(when, size=13, color=ft.Colors.ON_SURFACE_VARIANT)], spacing=0)))
    if entries == []:
        rows.append(Note("Nothing yet: exports, an account deletion and any access by support are listed here."))
    return ft.Semantics(identifier="account-activity", container=True, content=ft.Column([
        ft.Divider(height=1),
        ft.Text("Account activity", weight=ft.FontWeight.W_600),
        *rows,
        ft.TextButton("Refresh", icon=ft.Icons.REFRESH, on_click=load),
        ErrorText(error),
    ], spacing=8))
