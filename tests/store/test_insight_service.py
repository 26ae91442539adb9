"""The weekly AI insight on the device (services/insight.py): one ask of the analyze-progress
edge function through the app's function client, against a fake at the HTTP boundary
(httpx.MockTransport answering as supabase/functions/analyze-progress does), and the answer
kept for its protocol week and member only."""

from __future__ import annotations

import json
from datetime import date, timedelta

import httpx
import pytest

from chris_app import functions_client
from chris_app.errors import ChrisError
from chris_app.services import insight
from tests.conftest import MORNING

URL = "https://project.supabase.co"
ANON = "anon-key"
TOKEN = "member-access-token"
MEMBER = "5f0e6c1e-8d3b-4c56-9a57-2a7c3f1b9e01"
OTHER = "0a4b4a9e-5c57-4f7b-8d7e-3b9f1d2c0b77"
WEDNESDAY = date(2026, 6, 10)
ANSWER = {
    "summary": "Nine mornings out of ten: you rarely miss, and your ratings climb when the action is done.",
    "insights": ["Mondays are your strongest day.", "Your rating is 2 points higher on days the action is done."],
    "focus_for_next_week": "Finish the action before noon on Fridays.",
    "period": {"from": "2026-05-12", "to": "2026-06-10", "days_completed": 9},
}


def caller(handler):
    """Account.call_function's shape over the real function client, the server faked."""
    http = httpx.Client(transport=httpx.MockTransport(handler))

    def call(name, body=None, timeout=40.0):
        return functions_client.call(URL, ANON, TOKEN, name, body, client=http, timeout=timeout)

    return call


def test_an_ask_posts_to_the_function_and_keeps_the_answer_for_the_week(store):
    seen = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=ANSWER)

    assert insight.cached(store, MEMBER, WEDNESDAY) is None
    got = insight.fetch(store, MORNING, MEMBER, WEDNESDAY, caller(server))
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", f"{URL}/functions/v1/analyze-progress")
    assert request.headers["apikey"] == ANON
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content) == {}
    assert got == insight.Insight(ANSWER["summary"], tuple(ANSWER["insights"]), ANSWER["focus_for_next_week"],
                                  date(2026, 6, 8), 9)

    # Kept: the rest of the protocol week (to Sunday) shows it without a call ...
    for day in (date(2026, 6, 8), WEDNESDAY, date(2026, 6, 14)):
        assert insight.cached(store, MEMBER, day) == got
    # ... not the next week, not another member signed in here later, not a guest.
    assert insight.cached(store, MEMBER, date(2026, 6, 15)) is None
    assert insight.cached(store, OTHER, WEDNESDAY) is None
    assert insight.cached(store, None, WEDNESDAY) is None
    # Never synced.
    assert not store.query("select 1 from outbox where entity = 'device_flags'")


def test_asking_again_replaces_the_kept_answer(store):
    insight.fetch(store, MORNING, MEMBER, WEDNESDAY, caller(lambda r: httpx.Response(200, json=ANSWER)))
    newer = {**ANSWER, "summary": "Ten out of ten this time: every morning done.", "period": {"days_completed": 10}}
    insight.fetch(store, MORNING + timedelta(days=1), MEMBER, WEDNESDAY + timedelta(days=1),
                  caller(lambda r: httpx.Response(200, json=newer)))
    kept = insight.cached(store, MEMBER, WEDNESDAY)
    assert (kept.summary, kept.days_completed) == (newer["summary"], 10)
    assert len(store.query("select 1 from device_flags where name = ?", (insight.FLAG,))) == 1


@pytest.mark.parametrize("status, code, message", [
    (429, "quota_exceeded", "You have used today's 10 AI requests for this feature. More tomorrow."),
    (502, "ai_unavailable", "The AI coach is unreachable right now. Please try again."),
    (504, "ai_timeout", "The AI coach took too long to answer. Please try again."),
    (404, "no_profile", "Your account is not set up yet."),
])
def test_a_refusal_is_the_servers_sentence_and_keeps_last_weeks_answer_as_it_was(store, status, code, message):
    insight.fetch(store, MORNING, MEMBER, WEDNESDAY, caller(lambda r: httpx.Response(200, json=ANSWER)))
    before = store.query("select value, updated_at from device_flags where name = ?", (insight.FLAG,))
    call = caller(lambda request: httpx.Response(status, json={"error": {"code": code, "message": message}}))
    with pytest.raises(ChrisError) as err:
        insight.fetch(store, MORNING + timedelta(days=7), MEMBER, WEDNESDAY + timedelta(days=7), call)
    assert err.value.message == message
    assert store.query("select value, updated_at from device_flags where name = ?", (insight.FLAG,)) == before
    assert insight.cached(store, MEMBER, WEDNESDAY + timedelta(days=7)) is None


@pytest.mark.parametrize("failure, says", [
    (httpx.ConnectError("no route to host"), "You are offline. Connect to the internet and try again."),
    (httpx.ReadTimeout("timed out"), "The server took too long to answer. Try again in a moment."),
])
def test_offline_or_no_answer_says_so_and_keeps_nothing(store, failure, says):
    def server(request):
        raise failure

    with pytest.raises(ChrisError) as err:
        insight.fetch(store, MORNING, MEMBER, WEDNESDAY, caller(server))
    assert err.value.message == says
    assert insight.cached(store, MEMBER, WEDNESDAY) is None


@pytest.mark.parametrize("answer", [
    {"insights": ["a"], "focus_for_next_week": "b"},  # no summary
    {**ANSWER, "insights": []},
    {**ANSWER, "insights": "Mondays are strong."},
    {**ANSWER, "insights": ["fine", 3]},
    {**ANSWER, "focus_for_next_week": "  "},
])
def test_an_unusable_answer_is_a_sentence_and_keeps_nothing(store, answer):
    with pytest.raises(ChrisError) as err:
        insight.fetch(store, MORNING, MEMBER, WEDNESDAY, caller(lambda r: httpx.Response(200, json=answer)))
    assert err.value.message == insight.UNUSABLE
    assert insight.cached(store, MEMBER, WEDNESDAY) is None


def test_a_missing_period_is_fine_and_an_unreadable_kept_value_is_no_insight(store):
    answer = {k: v for k, v in ANSWER.items() if k != "period"}
    got = insight.fetch(store, MORNING, MEMBER, WEDNESDAY, caller(lambda r: httpx.Response(200, json=answer)))
    assert got.days_completed is None and insight.cached(store, MEMBER, WEDNESDAY) == got
    with store.transaction() as conn:
        conn.execute("update device_flags set value = '{not json' where name = ?", (insight.FLAG,))
    assert insight.cached(store, MEMBER, WEDNESDAY) is None
