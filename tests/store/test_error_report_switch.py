"""Migration 0012 (error reports, device-only) from a database of 0011, the switch, and a wipe."""

import sqlite3

import pytest

from chris_app import reporting
from chris_app.services.data_rights import wipe_device
from chris_app.store.db import connect, open_store
from chris_app.store.migrate import migrate
from tests.conftest import MORNING


def database_at_0011(tmp_path, name="db.sqlite3") -> sqlite3.Connection:
    conn = connect(tmp_path / name)
    migrate(conn, target=11)
    conn.execute("insert into profile (id, display_name, timezone, first_day, created_at, updated_at)"
                 " values (1, 'Chris', 'Europe/Berlin', '2026-01-01', 't', 't')")
    conn.execute("insert into settings (id, updated_at) values (1, 't')")
    conn.execute("insert into daily_sessions (id, date, violent_action, created_at, updated_at)"
                 " values ('s1', '2026-01-01', 'Ask for the raise', 't', 't')")
    return conn


def test_0012_starts_with_reports_off_and_a_random_install_id_keeping_every_row(tmp_path):
    conn = database_at_0011(tmp_path)
    migrate(conn, target=12)
    row = conn.execute("select enabled, install_id from error_reports").fetchone()
    assert row["enabled"] == 0
    assert len(row["install_id"]) == 32 and int(row["install_id"], 16) >= 0
    other = database_at_0011(tmp_path, "other.sqlite3")
    migrate(other, target=12)
    assert other.execute("select install_id from error_reports").fetchone()[0] != row["install_id"]
    assert conn.execute("select display_name from profile").fetchone()[0] == "Chris"
    assert conn.execute("select violent_action from daily_sessions").fetchone()[0] == "Ask for the raise"
    assert conn.execute("select count(*) from outbox").fetchone()[0] == 0  # never synced


def test_0012_holds_one_row_and_only_on_or_off(tmp_path):
    conn = database_at_0011(tmp_path)
    migrate(conn, target=12)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("insert into error_reports (id, enabled, install_id, updated_at) values (2, 0, ?, 't')", ("0" * 32,))
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("update error_reports set enabled = 2")


def test_the_switch_is_kept_across_a_restart_and_sends_nothing_to_the_outbox(tmp_path):
    store = open_store(tmp_path / "chris.sqlite3")
    assert reporting.enabled(store) is False
    reporting.set_enabled(store, MORNING, True)
    store.close()
    store = open_store(tmp_path / "chris.sqlite3")
    assert reporting.enabled(store) is True
    assert store.query("select count(*) as n from outbox")[0]["n"] == 0
    store.close()


def test_wiping_the_device_turns_reports_off_and_forgets_the_install_id(store):
    reporting.set_enabled(store, MORNING, True)
    before = reporting.install_id(store)
    wipe_device(store, MORNING, "Europe/Berlin")
    assert reporting.enabled(store) is False
    assert len(reporting.install_id(store)) == 32 and reporting.install_id(store) != before


def test_the_scrubbers_strings_come_from_the_store_and_the_account(store):
    from chris_app.services import affirmations, day
    from chris_app.services.profile import update_profile

    update_profile(store, MORNING, display_name="Rowena Q")
    affirmations.save_new_version(store, MORNING, "I rise early.\nI keep my word.")
    day.set_action(store, MORNING, "Ask for the raise")

    class Account:
        email = "rowena@example.com"
        auth = type("A", (), {"session": type("S", (), {"user_id": "u-1234", "access_token": "tok-abc",
                                                         "refresh_token": "ref-xyz"})()})()

    strings = reporting.personal_strings(store, Account())
    assert {"Rowena Q", "I rise early.", "I keep my word.", "I rise early.\nI keep my word.", "Ask for the raise",
            "rowena@example.com", "u-1234", "tok-abc", "ref-xyz"} <= set(strings)
    assert strings == sorted(strings, key=len, reverse=True)  # the longest first: no half-replaced string
