"""The object-path rule exists twice, in SQL (`private.object_path_ok`, used by the path columns
and the Storage policies) and in Python (`chris_app.sync.paths.object_path_ok`, used on pulled
rows and before any Storage request). Both are fed the same cases here: hand-written attacks
from the break-in attempts and Hypothesis-generated paths, and must agree on every one."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chris_app.sync.paths import object_path_ok

pytestmark = pytest.mark.db

OWNER = "0b0e1c3a-1111-4222-8333-444455556666"
OTHER = "9f8e7d6c-5b4a-4321-8fed-cba987654321"

ACCEPTED = [
    f"{OWNER}/2026-12-01-recording.ogg",
    f"{OWNER}/1-abcdef12.jpg",
    f"{OWNER}/removed-{OTHER}",
    f"{OWNER}/a",
    f"{OWNER}/_x-y_.tar.gz",
    f"{OWNER}/sub/dir/file.png",
    f"{OWNER}/" + "a" * (1024 - 37),  # exactly 1024 characters
]

ATTACKS = [
    f"{OWNER}/../{OTHER}/x.ogg",  # the break-in attempt: climb into another member's folder
    f"{OWNER}/..",
    f"{OWNER}/./x.ogg",
    f"{OWNER}/.",
    f"{OWNER}/.hidden",
    f"{OWNER}/x.",
    f"{OWNER}/a..b",
    f"{OWNER}/a\\..\\x.ogg",
    f"{OWNER}\\x.ogg",
    f"{OWNER}/a\\b",
    f"{OWNER}//x.ogg",
    f"{OWNER}/x.ogg/",
    f"{OWNER}/",
    f"/{OWNER}/x.ogg",
    f"{OWNER}",
    f"{OTHER}/x.ogg",  # another member's folder
    f"{OWNER.upper()}/x.ogg",
    f"{OWNER[:-1]}/x.ogg",
    f"{OWNER}x/x.ogg",
    f"{OWNER}/x.ogg\n",
    f"{OWNER}/x.ogg\nmore",
    f"{OWNER}/x y.ogg",
    f"{OWNER}/x%2F..%2Fy",
    f"{OWNER}/é.ogg",
    f"{OWNER}/x\u200b.ogg",
    f"{OWNER}/x\x00.ogg",
    f"{OWNER}/x?.ogg",
    f"{OWNER}/x#y",
    f"{OWNER}/" + "a" * (1025 - 37),  # 1025 characters
    "x.ogg",
    "",
]


def sql_ok(db, path: str, owner: str) -> bool:
    return db.execute("select private.object_path_ok(%s, %s::uuid)", (path, owner)).fetchone()[0]


def test_the_hand_written_cases_are_what_they_claim():
    assert all(object_path_ok(p, OWNER) for p in ACCEPTED)
    assert not any(object_path_ok(p, OWNER) for p in ATTACKS)


@pytest.mark.parametrize("path", ACCEPTED + ATTACKS)
def test_sql_and_python_agree_on_the_hand_written_cases(db, path):
    if "\x00" in path:  # PostgreSQL text cannot hold NUL: the server never sees such a path
        assert not object_path_ok(path, OWNER)
        return
    assert sql_ok(db, path, OWNER) == object_path_ok(path, OWNER) == (path in ACCEPTED)


def test_python_without_an_owner_accepts_any_members_folder():
    assert object_path_ok(f"{OTHER}/x.ogg")
    assert not object_path_ok(f"{OTHER}/../{OWNER}/x.ogg")
    assert not object_path_ok(None)


_SEGMENT_CHARS = st.sampled_from(list("aZ09_-.") + ["..", "/", "\\", " ", "é", "\n", "%", ":"])
segments = st.lists(_SEGMENT_CHARS, min_size=0, max_size=8).map("".join)
paths = st.tuples(st.sampled_from([OWNER, OTHER, "", "/" + OWNER, OWNER.upper()]),
                  st.lists(segments, min_size=0, max_size=4)).map(lambda t: "/".join([t[0], *t[1]]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=paths | st.text(max_size=60).filter(lambda s: "\x00" not in s))
@example(path=f"{OWNER}/../{OTHER}/x.ogg")
@example(path=f"{OWNER}/a.b.c")
def test_sql_and_python_agree_on_generated_paths(db, path):
    assert sql_ok(db, path, OWNER) == object_path_ok(path, OWNER), path


def test_a_pulled_row_with_a_climbing_path_is_refused():
    from pydantic import ValidationError

    from chris_app.sync.pulled import PulledSession, PulledTile

    with pytest.raises(ValidationError):
        PulledTile(id="t", position=1, image_path=f"{OWNER}/../{OTHER}/a.jpg")
    with pytest.raises(ValidationError):
        PulledSession(id="s", date="2026-12-01", recording_path=f"{OWNER}/a\\b.ogg")
    assert PulledSession(id="s", date="2026-12-01", recording_path=None).recording_path is None
    assert PulledTile(id="t", position=1, image_path=f"{OWNER}/1-abcdef12.jpg").image_path.endswith(".jpg")


def test_storage_requests_with_a_bad_name_are_refused_before_sending():
    import httpx

    from chris_app.sync.errors import ServerError
    from chris_app.sync.uploads import StorageClient

    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200, content=b"x"))
    storage = StorageClient("https://example.supabase.co", "anon", lambda: "token", httpx.Client(transport=transport))
    with pytest.raises(ServerError):
        storage.download("recordings", f"{OWNER}/../{OTHER}/x.ogg")
    assert sent == []
    assert storage.download("recordings", f"{OWNER}/x.ogg") == b"x"
    assert len(sent) == 1
