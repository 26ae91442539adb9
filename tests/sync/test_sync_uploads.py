"""Uploads to Storage through an injected httpx transport: exact endpoints, headers, bodies."""


import httpx
import pytest

from chris_app.services import recordings, vision_board
from chris_app.sync.errors import Offline
from chris_app.sync.uploads import StorageClient, pending_uploads, upload_pending
from tests.conftest import MORNING, wav_bytes

USER = "5f0e6c1e-8d3b-4c56-9a57-2a7c3f1b9e01"
PNG = b"\x89PNG\r\n\x1a\n" + b"\2" * 32


def client(handler):
    return StorageClient("https://demo.supabase.co", "anon", lambda: "tok",
                         client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_a_recording_and_an_image_are_uploaded_with_upsert_to_the_members_folders(store):
    rec = recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))
    vision_board.set_tile(store, MORNING, 2, PNG, "Cabin")
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"Key": request.url.path.split("/object/")[1]})

    assert upload_pending(store, client(handler), USER, MORNING) == 2
    first, second = seen
    assert first.method == "POST"
    assert str(first.url) == f"https://demo.supabase.co/storage/v1/object/recordings/{USER}/2026-06-10-recording.ogg"
    assert first.headers["x-upsert"] == "true" and first.headers["content-type"] == "audio/ogg"
    assert first.headers["authorization"] == "Bearer tok" and first.headers["apikey"] == "anon"
    assert first.content == rec.path.read_bytes()
    assert str(second.url).startswith(f"https://demo.supabase.co/storage/v1/object/vision-boards/{USER}/2-")
    assert second.headers["content-type"] == "image/png" and second.content == PNG
    assert pending_uploads(store, USER) == []  # confirmed: nothing left to send
    assert rec.path.exists()  # the device keeps its copy


def test_a_failed_upload_stays_queued_and_goes_next_time(store):
    recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))

    def offline(request):
        raise httpx.ConnectError("no network")

    with pytest.raises(Offline):
        upload_pending(store, client(offline), USER, MORNING)
    assert len(pending_uploads(store, USER)) == 1
    assert upload_pending(store, client(lambda r: httpx.Response(200, json={})), USER, MORNING) == 1
    assert pending_uploads(store, USER) == []


def test_re_recording_the_day_uploads_the_new_take_to_the_same_object(store):
    recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))
    objects = {}

    def handler(request):
        objects[request.url.path] = request.content
        return httpx.Response(200, json={})

    upload_pending(store, client(handler), USER, MORNING)
    second = recordings.import_audio_file(store, MORNING, "b.wav", wav_bytes(25))
    upload_pending(store, client(handler), USER, MORNING)
    assert list(objects) == [f"/storage/v1/object/recordings/{USER}/2026-06-10-recording.ogg"]
    assert objects[f"/storage/v1/object/recordings/{USER}/2026-06-10-recording.ogg"] == second.path.read_bytes()


def remote_recording(store, data):
    """A day recorded on another device, as a pull leaves it: a `remote:` placeholder."""
    import hashlib

    with store.transaction() as conn:
        conn.execute(
            "insert into recordings (id, date, path, mime, duration_ms, size_bytes, sha256, created_at)"
            " values ('r-remote', '2026-06-09', ?, 'audio/ogg', 21000, 1, ?, 't')",
            (f"remote:{USER}/2026-06-09-recording.ogg", hashlib.sha256(data).hexdigest()))


def test_a_recording_from_another_device_downloads_on_demand_and_checks_its_hash(store):
    from chris_app.sync.uploads import download_recording

    audio = b"OggS" + b"\1" * 100
    remote_recording(store, audio)
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, content=audio)

    path = download_recording(store, client(handler), "r-remote")
    assert str(seen[0].url) == f"https://demo.supabase.co/storage/v1/object/authenticated/recordings/{USER}/2026-06-09-recording.ogg"
    assert seen[0].method == "GET" and seen[0].headers["authorization"] == "Bearer tok"
    assert path.read_bytes() == audio
    assert recordings.get_recording(store, "r-remote").path == path
    assert download_recording(store, client(handler), "r-remote") == path and len(seen) == 1  # once


def test_a_download_that_does_not_match_the_accounts_hash_is_refused(store):
    from chris_app.sync.errors import ServerError
    from chris_app.sync.uploads import download_recording

    remote_recording(store, b"the real take")
    with pytest.raises(ServerError, match="does not match"):
        download_recording(store, client(lambda r: httpx.Response(200, content=b"something else")), "r-remote")
    assert recordings.get_recording(store, "r-remote").path.as_posix().startswith("remote:")
    assert not (store.files_dir / "recordings").exists() or not any((store.files_dir / "recordings").iterdir())


def remote_tile(store, position, object_name):
    """A tile made on another device, as a pull leaves it: a `remote:` placeholder."""
    with store.transaction() as conn:
        conn.execute("insert into vision_board_tiles (id, position, image_path, caption, created_at, updated_at)"
                     " values (?, ?, ?, 'Cabin', 't', 't')", (f"t-{position}", position, f"remote:{object_name}"))


def test_board_images_from_another_device_download_after_a_sync_and_the_board_shows_them(store):
    from chris_app.sync.outgoing import tile_payload
    from chris_app.sync.uploads import download_tile_images

    remote_tile(store, 3, f"{USER}/3-abcdef12.png")
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, content=PNG)

    assert download_tile_images(store, client(handler), MORNING) == 1
    assert str(seen[0].url) == f"https://demo.supabase.co/storage/v1/object/authenticated/vision-boards/{USER}/3-abcdef12.png"
    [tile] = vision_board.tiles(store)
    assert tile.image_path.read_bytes() == PNG and tile.image_path.name == "3-abcdef12.png"
    assert pending_uploads(store, USER) == []  # it came from Storage: nothing to send back
    row = store.query("select * from vision_board_tiles")[0]
    assert tile_payload(row, USER)["image_path"] == f"{USER}/3-abcdef12.png"  # the same object for the server
    assert download_tile_images(store, client(handler), MORNING) == 0 and len(seen) == 1  # once


def test_a_board_download_that_is_not_an_image_is_refused_and_the_placeholder_stays(store):
    from chris_app.sync.errors import ServerError
    from chris_app.sync.uploads import download_tile_images

    remote_tile(store, 1, f"{USER}/1-abcdef12.png")
    with pytest.raises(ServerError) as caught:
        download_tile_images(store, client(lambda r: httpx.Response(200, content=b"<html>oops</html>")), MORNING)
    assert "could not be read" in caught.value.message
    assert store.query("select image_path from vision_board_tiles")[0]["image_path"].startswith("remote:")
    assert not (store.files_dir / "vision").exists() or not any((store.files_dir / "vision").iterdir())
