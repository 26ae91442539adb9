import json
import sqlite3

import pytest

from chris_app.store import migrate as migrate_module
from chris_app.store.db import connect, open_store
from chris_app.store.migrate import current_version, latest_version, migrate, migrations

# Representative rows written at each schema version, used to prove that every later
# migration keeps them. Add an entry when a migration adds a table or column worth keeping.
SAMPLES = {
    1: [
        "insert into profile (id, timezone, first_day, created_at, updated_at)"
        " values (1, 'Europe/Berlin', '2026-01-01', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
        "insert into affirmations (id, version, content, is_active, created_at, updated_at)"
        " values ('a1', 1, 'I act.', 1, 't', 't')",
        "insert into daily_sessions (id, date, created_at, updated_at) values ('s1', '2026-01-01', 't', 't')",
    ],
}


def test_0002_stamps_existing_days_halves_from_their_last_change(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=1)
    conn.execute("insert into recordings (id, date, path, mime, duration_ms, size_bytes, sha256, created_at)"
                 " values ('r1', '2026-01-01', 'p', 'audio/ogg', 21000, 10, ?, 't')", ("0" * 64,))
    conn.execute("insert into daily_sessions (id, date, morning_completed, morning_completed_at, recording_id,"
                 " evening_completed, action_completed, discipline_rating, created_at, updated_at)"
                 " values ('s1', '2026-01-01', 1, 't', 'r1', 1, 1, 7, 't', '2026-01-01T20:00:00+00:00')")
    conn.execute("insert into daily_sessions (id, date, created_at, updated_at) values ('s2', '2026-01-02', 't', 'u')")
    migrate(conn, target=2)
    rows = conn.execute("select id, morning_updated_at, evening_updated_at from daily_sessions order by id").fetchall()
    assert [tuple(r) for r in rows] == [("s1", "2026-01-01T20:00:00+00:00", "2026-01-01T20:00:00+00:00"),
                                        ("s2", None, None)]


def test_migrations_are_numbered_from_one_without_gaps():
    assert [v for v, _, _ in migrations()] == list(range(1, latest_version() + 1))


def test_a_new_database_is_brought_to_the_latest_version_with_wal_and_foreign_keys(tmp_path):
    store = open_store(tmp_path / "db.sqlite3")
    assert current_version(store.conn) == latest_version()
    assert store.conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("pragma foreign_keys").fetchone()[0] == 1


@pytest.mark.parametrize("version", range(1, latest_version() + 1))
def test_each_migration_applies_on_the_previous_versions_data(tmp_path, version):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=version - 1)
    for v in range(1, version):
        for statement in SAMPLES.get(v, []):
            conn.execute(statement)
    migrate(conn, target=version)
    assert current_version(conn) == version
    if version > 1:  # the rows written at earlier versions are all still there
        for table in ("profile", "affirmations", "daily_sessions"):
            assert conn.execute(f"select count(*) from {table}").fetchone()[0] == 1
    assert conn.execute("pragma foreign_key_check").fetchall() == []
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_migrating_twice_changes_nothing(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn)
    for statement in SAMPLES[1]:
        conn.execute(statement)
    assert migrate(conn) == latest_version()
    assert conn.execute("select count(*) from daily_sessions").fetchone()[0] == 1


def test_a_failing_migration_leaves_the_database_at_the_previous_version(tmp_path, monkeypatch):
    real = migrations()
    broken = real + [(len(real) + 1, "9999_broken.sql",
                      "create table half_done (x integer);\ninsert into no_such_table values (1);")]
    monkeypatch.setattr(migrate_module, "migrations", lambda: broken)
    conn = connect(tmp_path / "db.sqlite3")
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        migrate(conn)
    assert current_version(conn) == len(real)
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    assert "half_done" not in tables


def test_a_database_from_a_newer_app_is_refused_with_a_clear_message(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn)
    conn.execute(f"pragma user_version = {latest_version() + 1}")
    with pytest.raises(RuntimeError, match="newer version of the app"):
        migrate(conn)


def test_0004_takes_only_values_other_than_the_install_defaults_for_edits(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=3)
    edited = "2026-01-05T07:00:00.000000+00:00"
    conn.execute("insert into profile (id, display_name, timezone, morning_time, first_day, created_at, updated_at)"
                 " values (1, 'Chris', 'Europe/Berlin', '05:30', '2026-01-01', 't', ?)", (edited,))
    conn.execute("insert into settings (id, theme, sound_enabled, updated_at) values (1, 'dark', 1, ?)", (edited,))
    conn.execute("insert into affirmations (id, version, content, is_active, created_at, updated_at)"
                 " values ('starter', 1, 'Starter.', 0, 'c1', 'u1'), ('own', 2, 'Mine.', 1, 'c2', 'u2')")
    migrate(conn, target=4)
    assert json.loads(conn.execute("select field_stamps from profile").fetchone()[0]) == {"display_name": edited}
    assert json.loads(conn.execute("select field_stamps from settings").fetchone()[0]) == {"theme": edited}
    # a guest's version 1 is the install's starter text: no save time; the member's own has one
    assert [tuple(r) for r in conn.execute("select id, activated_at from affirmations order by version")] == [
        ("starter", None), ("own", "c2")]
    assert conn.execute("select count(*) from outbox").fetchone()[0] == 0  # a guest sends nothing yet


def test_0004_has_a_device_already_syncing_send_its_profile_again_for_its_first_day(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=3)
    conn.execute("insert into sync_state (key, value) values ('account', 'u1')")
    conn.execute("insert into affirmations (id, version, content, is_active, created_at, updated_at)"
                 " values ('pulled', 1, 'From the account.', 1, 'c1', 'u1')")
    migrate(conn, target=4)
    assert conn.execute("select activated_at from affirmations").fetchone()[0] == "c1"
    assert [tuple(r) for r in conn.execute("select entity, row_id, op from outbox")] == [("profile", "1", "upsert")]


def test_0005_keeps_the_runs_and_the_count_of_the_days_already_there(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=4)
    conn.execute("insert into recordings (id, date, path, mime, duration_ms, size_bytes, sha256, created_at)"
                 " values ('r1', '2026-01-01', 'p', 'audio/ogg', 21000, 10, ?, 't')", ("0" * 64,))
    done = ["2025-12-30", "2025-12-31", "2026-01-01", "2026-01-02", "2026-01-05", "2026-01-07", "2026-01-08"]
    for i, d in enumerate(done + ["2026-01-03", "2026-01-06"]):
        completed = d in done
        conn.execute("insert into daily_sessions (id, date, morning_completed, morning_completed_at, recording_id,"
                     " created_at, updated_at) values (?, ?, ?, ?, ?, 't', 't')",
                     (f"s{i}", d, int(completed), "t" if completed else None, "r1" if completed else None))
    migrate(conn, target=5)
    runs = "select first_date, last_date, days from stats_runs order by first_date"
    assert [tuple(r) for r in conn.execute(runs)] == [
        ("2025-12-30", "2026-01-02", 4), ("2026-01-05", "2026-01-05", 1), ("2026-01-07", "2026-01-08", 2)]
    assert tuple(conn.execute("select completed_count, score_day from stats_state").fetchone()) == (7, None)
    # and the triggers keep them from here on: 6 Jan joins two runs, 1 Jan splits one
    conn.execute("update daily_sessions set morning_completed = 1, morning_completed_at = 't', recording_id = 'r1'"
                 " where date = '2026-01-06'")
    conn.execute("update daily_sessions set morning_completed = 0 where date = '2026-01-01'")
    assert [tuple(r) for r in conn.execute(runs)] == [
        ("2025-12-30", "2025-12-31", 2), ("2026-01-02", "2026-01-02", 1), ("2026-01-05", "2026-01-08", 4)]
    assert conn.execute("select completed_count from stats_state").fetchone()[0] == 7


def test_0005_on_an_empty_store(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=5)
    assert conn.execute("select count(*) from stats_runs").fetchone()[0] == 0
    assert tuple(conn.execute("select id, completed_count from stats_state").fetchone()) == (1, 0)


def test_0006_adds_device_flags_and_keeps_every_row(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=5)
    for statement in SAMPLES[1]:
        conn.execute(statement)
    migrate(conn, target=6)
    assert conn.execute("select count(*) from device_flags").fetchone()[0] == 0  # nothing assumed
    conn.execute("insert into device_flags (name, value, updated_at) values ('introduced', '1', 't')")
    assert [tuple(r) for r in conn.execute("select name, value from device_flags")] == [("introduced", "1")]
    assert conn.execute("select count(*) from daily_sessions").fetchone()[0] == 1


def settings_after_0008(tmp_path, on_device: int, stamps: dict) -> sqlite3.Row:
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=7)
    conn.execute("insert into settings (id, on_device_reminders, email_reminders, theme, field_stamps, updated_at)"
                 " values (1, ?, 1, 'dark', ?, 't')", (on_device, json.dumps(stamps)))
    migrate(conn, target=8)
    return conn.execute("select * from settings").fetchone()


def test_0008_carries_a_switched_off_on_device_reminders_and_its_stamp_to_push_notifications(tmp_path):
    off, other = "2026-03-01T07:00:00.000000+00:00", "2026-02-01T07:00:00.000000+00:00"
    row = settings_after_0008(tmp_path, 0, {"on_device_reminders": off, "theme": other, "email_reminders": other})
    # what had been pushed as push_notifications keeps its value and its edit time
    assert row["push_notifications"] == 0
    assert json.loads(row["field_stamps"]) == {"push_notifications": off, "theme": other, "email_reminders": other}
    # the device's own switch keeps the member's choice; the rest of the row is untouched
    assert (row["on_device_reminders"], row["email_reminders"], row["theme"]) == (0, 1, "dark")
    # the new switches start at their defaults, which are not edits (no stamps)
    assert (row["morning_reminder"], row["evening_reminder"], row["weekly_email"]) == (1, 1, 1)
    # the server's facts are unknown until a pull says otherwise
    assert (row["push_reachable"], row["email_reachable"]) == (0, 0)


def test_0008_leaves_a_never_edited_switch_a_default(tmp_path):
    other = "2026-02-01T07:00:00.000000+00:00"
    row = settings_after_0008(tmp_path, 1, {"theme": other})
    assert row["push_notifications"] == 1 and row["on_device_reminders"] == 1
    assert json.loads(row["field_stamps"]) == {"theme": other}


def test_0008_carries_a_switch_turned_back_on_with_its_stamp(tmp_path):
    on = "2026-03-02T07:00:00.000000+00:00"
    row = settings_after_0008(tmp_path, 1, {"on_device_reminders": on})
    assert row["push_notifications"] == 1 and json.loads(row["field_stamps"]) == {"push_notifications": on}


def test_0008_on_a_store_without_settings(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=8)
    assert conn.execute("select count(*) from settings").fetchone()[0] == 0
    conn.execute("insert into settings (id, updated_at) values (1, 't')")
    row = conn.execute("select * from settings").fetchone()
    assert [row[k] for k in ("on_device_reminders", "push_notifications", "email_reminders", "morning_reminder",
                             "evening_reminder", "weekly_email", "push_reachable", "email_reachable")] == \
        [1, 1, 0, 1, 1, 1, 0, 0]


@pytest.mark.parametrize("column", ["push_notifications", "morning_reminder", "evening_reminder", "weekly_email",
                                    "push_reachable", "email_reachable"])
def test_0008_switches_hold_only_on_or_off(tmp_path, column):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn, target=8)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute(f"insert into settings (id, {column}, updated_at) values (1, 2, 't')")
