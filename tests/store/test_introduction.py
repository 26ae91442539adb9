"""The first-run introduction shows on a fresh install only, and once."""

from datetime import timedelta

from chris_app.services.affirmations import save_new_version
from chris_app.services.introduction import has_history, mark_introduced, needs_introduction
from chris_app.services.profile import ensure_profile
from chris_app.store import open_store
from tests.conftest import MORNING


def test_a_fresh_install_needs_the_introduction(store):
    assert not has_history(store)
    assert needs_introduction(store)


def test_once_finished_or_skipped_it_is_not_needed_again_even_after_a_restart(store, tmp_path):
    mark_introduced(store, MORNING)
    mark_introduced(store, MORNING + timedelta(days=1))  # a replay finished again: no error
    assert not needs_introduction(store)
    store.close()
    reopened = open_store(tmp_path / "chris.sqlite3")
    assert not needs_introduction(reopened)
    reopened.close()


def test_a_device_with_the_members_own_affirmations_has_been_used(store):
    save_new_version(store, MORNING, "I keep my word to myself.")
    assert has_history(store) and not needs_introduction(store)


def test_a_device_with_a_day_from_an_upgrade_or_a_sign_in_has_been_used(store):
    store.conn.execute("insert into daily_sessions (id, date, created_at, updated_at)"
                       " values ('s1', '2026-06-09', 't', 't')")
    assert not needs_introduction(store)


def test_the_flag_stays_on_this_device(store):
    """Never queued for sync: another device of the member keeps its own."""
    before = store.query("select count(*) from outbox")[0][0]
    mark_introduced(store, MORNING)
    assert store.query("select count(*) from outbox")[0][0] == before


def test_ensuring_the_profile_again_does_not_count_as_history(tmp_path):
    s = open_store(tmp_path / "x.sqlite3")
    ensure_profile(s, MORNING, "Europe/Berlin")
    ensure_profile(s, MORNING, "Europe/Berlin")
    assert needs_introduction(s)
    s.close()
