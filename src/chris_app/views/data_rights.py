"""Settings → "Your data": export everything as a zip, or wipe this device (with a confirmation)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import flet as ft

from chris_app.device import device_timezone
from chris_app.errors import ChrisError
from chris_app.services.data_rights import export_name, wipe_device, write_export
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Note, Section


@ft.component
def YourData():
    app = use_app()
    page = ft.context.page
    busy, set_busy = ft.use_state(False)
    message, set_message = ft.use_state("")
    error, set_error = ft.use_state("")
    confirming, set_confirming = ft.use_state("")  # "wipe" | "delete" while a dialog is open
    picker = ft.use_ref(None)

    async def export(_):
        set_error("")
        set_message("")
        set_busy(True)
        try:
            name = export_name(app.store, app.now())
            with tempfile.TemporaryDirectory() as tmp:
                built = await asyncio.to_thread(write_export, app.store, app.now(), Path(tmp) / name)
                if picker.current is None:
                    picker.current = ft.FilePicker()
                if page.web or page.platform.is_mobile():
                    await picker.current.save_file(file_name=name, src_bytes=built.read_bytes())
                    set_message(f"Your export {name} is downloading.")
                else:
                    chosen = await picker.current.save_file(file_name=name, allowed_extensions=["zip"])
                    if chosen:
                        shutil.copyfile(built, chosen)
                        set_message(f"Saved your export to {chosen}.")
        except ChrisError as exc:
            set_error(exc.message)
        except OSError as exc:
            set_error(f"The export could not be saved ({exc.strerror or exc}).")
        finally:
            set_busy(False)

    def wipe(_):
        set_confirming("")
        outcome = app.act(wipe_device, device_timezone())
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
    signed_in = app.account is not None and app.account.engine is not None

    return Section(
        "Your data",
        Note("Export is a zip with all your data (data.json), your recordings and your images."),
        ft.Row([
            ft.FilledTonalButton("Export my data", icon=ft.Icons.DOWNLOAD, on_click=export, disabled=busy),
            ft.ProgressRing(width=20, height=20, visible=busy),
        ]),
        ft.OutlinedButton("Wipe this device…", icon=ft.Icons.DELETE_FOREVER, on_click=lambda _: set_confirming("wipe"),
                          style=ft.ButtonStyle(color=ft.Colors.ERROR)),
        ft.OutlinedButton("Delete my account…", icon=ft.Icons.PERSON_REMOVE, visible=signed_in,
                          on_click=lambda _: set_confirming("delete"), style=ft.ButtonStyle(color=ft.Colors.ERROR)),
        ft.Text(message, color=ft.Colors.GREEN_800, visible=bool(message)),
        ErrorText(error),
        identifier="your-data",
    )
