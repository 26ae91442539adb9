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
