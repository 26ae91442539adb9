"""The read-aloud check on the device (services/read_aloud.py): consent kept on this device for
the member who gave it, and one check of a saved reading through the app's function client
against a fake of the edge function at the HTTP boundary (httpx.MockTransport answering as
supabase/functions/transcribe-reading does)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
import pytest

from chris_app import functions_client
from chris_app.errors import ChrisError
from chris_app.services import affirmations, read_aloud, reading_metrics, recordings
from tests.conftest import MORNING, wav_bytes

URL = "https://project.supabase.co"
ANON = "anon-key"
TOKEN = "member-access-token"
MEMBER = "5f0e6c1e-8d3b-4c56-9a57-2a7c3f1b9e01"
OTHER = "0a4b4a9e-5c57-4f7b-8d7e-3b9f1d2c0b77"
LINES = "I keep my word to myself.\nI act before I feel ready.\nI finish what I start."  # 17 words


def caller(handler):
    """Account.call_function's shape over the real function client, the server faked."""
    http = httpx.Client(transport=httpx.MockTransport(handler))

    def call(name, body=None, timeout=40.0):
        return functions_client.call(URL, ANON, TOKEN, name, body, client=http, timeout=timeout)

    return call


@pytest.fixture
def reading(store):
    affirmations.save_new_version(store, MORNING, LINES)
    return recordings.import_audio_file(store, MORNING, "reading.wav", wav_bytes(21))


def test_consent_is_off_by_default_and_kept_for_the_member_who_gave_it(store):
    assert not read_aloud.consented(store, MEMBER)
    read_aloud.set_consent(store, MORNING, MEMBER, True)
    assert read_aloud.consented(store, MEMBER)
    assert not read_aloud.consented(store, OTHER)  # another account signed in here later
    assert not read_aloud.consented(store, None)  # a guest
    read_aloud.set_consent(store, MORNING, MEMBER, False)
    assert not read_aloud.consented(store, MEMBER)
    # never synced: nothing in the outbox for it
    assert not store.query("select 1 from outbox where entity = 'device_flags'")


def test_a_check_sends_the_reading_and_stores_coverage_and_pace(store, reading):
    seen = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"text": "I keep my word to myself. I finish what I start.",
                                         "duration_s": 21.0})

    result = read_aloud.run_check(store, MORNING + timedelta(minutes=1), reading.id, caller(server))
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", f"{URL}/functions/v1/transcribe-reading")
    assert request.headers["apikey"] == ANON
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.extensions["timeout"]["read"] == read_aloud.TIMEOUT_S  # longer than other calls
    body = json.loads(request.content)
    assert list(body) == ["audio"]
    assert base64.b64decode(body["audio"], validate=True) == reading.path.read_bytes()  # the saved Ogg/Opus file
    assert reading.path.read_bytes()[:4] == b"OggS"

    figures = reading_metrics.figures_of(store, reading.id)
    assert result.coverage == pytest.approx(11 / 17)
    assert figures.read_coverage == pytest.approx(11 / 17, abs=1e-4)
    speaking = figures.speaking_s
    assert speaking and speaking > 0
    assert result.words_per_minute == pytest.approx(11 * 60 / speaking)
    assert figures.words_per_minute == pytest.approx(11 * 60 / speaking, abs=0.05)
    assert read_aloud.stored_check(store, reading.id).coverage == pytest.approx(11 / 17, abs=1e-4)


@pytest.mark.parametrize("status, code, message", [
    (429, "quota_exceeded", "You have used today's 10 AI requests for this feature. More tomorrow."),
    (502, "ai_unavailable", "The transcription service is unavailable right now. Please try again later."),
    (504, "ai_timeout", "Transcribing your reading took too long. Please try again later."),
    (413, "audio_too_long", "This reading is too long to check: readings up to 15 minutes can be checked."),
])
def test_a_refusal_of_the_server_is_its_sentence_and_nothing_is_stored(store, reading, status, code, message):
    call = caller(lambda request: httpx.Response(status, json={"error": {"code": code, "message": message}}))
    with pytest.raises(ChrisError) as err:
        read_aloud.run_check(store, MORNING, reading.id, call)
    assert err.value.message == message
    assert read_aloud.stored_check(store, reading.id) is None


@pytest.mark.parametrize("failure, says", [
    (httpx.ConnectError("no route to host"), "You are offline. Connect to the internet and try again."),
    (httpx.ReadTimeout("timed out"), "The server took too long to answer. Try again in a moment."),
])
def test_offline_or_no_answer_says_so_and_stores_nothing(store, reading, failure, says):
    def server(request):
        raise failure

    with pytest.raises(ChrisError) as err:
        read_aloud.run_check(store, MORNING, reading.id, caller(server))
    assert err.value.message == says
    assert read_aloud.stored_check(store, reading.id) is None


def test_an_unusable_answer_or_a_missing_file_is_a_sentence_too(store, reading):
    with pytest.raises(ChrisError) as err:
        read_aloud.run_check(store, MORNING, reading.id, caller(lambda r: httpx.Response(200, json={"words": []})))
    assert err.value.message == "The server gave an unusable answer. Try again later."
    reading.path.unlink()
    calls = []
    with pytest.raises(ChrisError) as err:
        read_aloud.run_check(store, MORNING, reading.id, caller(lambda r: calls.append(r) or httpx.Response(200)))
    assert err.value.message == "This reading's audio is not on this device."
    assert calls == [] and read_aloud.stored_check(store, reading.id) is None


def test_nothing_heard_is_zero_not_an_error(store, reading):
    result = read_aloud.run_check(store, MORNING, reading.id, caller(lambda r: httpx.Response(200, json={"text": ""})))
    assert (result.coverage, result.words_per_minute) == (0.0, 0.0)
    assert read_aloud.stored_check(store, reading.id).coverage == 0.0
