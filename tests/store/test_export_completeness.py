"""An export never leaves a reading out silently: one kept only in the account (made on another
device, not downloaded) or whose file is gone is counted in the README and marked in data.json."""

import json
import zipfile

from chris_app.services import recordings
from chris_app.services.data_rights import export_name, missing_note, unique, write_export
from chris_app.sync.paths import REMOTE_PREFIX
from tests.conftest import MORNING, wav_bytes


def archive_of(store, tmp_path):
    target = write_export(store, MORNING, tmp_path / export_name(store, MORNING))
    with zipfile.ZipFile(target) as archive:
        root = archive.namelist()[0].split("/")[0]
        return (archive.read(f"{root}/README.txt").decode(), json.loads(archive.read(f"{root}/data.json")),
                archive.namelist())


def remote_reading(store, rec_id: str, date: str) -> None:
    """A reading the sync brought as a row only: its audio is still in the account's Storage."""
    store.conn.execute(
        "insert into recordings (id, date, path, mime, duration_ms, size_bytes, sha256, created_at)"
        " values (?, ?, ?, 'audio/ogg', 22000, 1, ?, 't')",
        (rec_id, date, f"{REMOTE_PREFIX}user/{date}-recording.ogg", "0" * 64))


def test_a_complete_export_says_nothing_is_missing(store, tmp_path):
    recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))
    readme, data, names = archive_of(store, tmp_path)
    assert "NOT IN THIS ARCHIVE" not in readme
    assert data["recordings"][0]["file"] == "recordings/2026-06-10.ogg"
    assert any(n.endswith("recordings/2026-06-10.ogg") for n in names)


def test_readings_left_on_the_server_are_counted_and_marked(store, tmp_path):
    recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))
    remote_reading(store, "r-remote-1", "2026-06-08")
    remote_reading(store, "r-remote-2", "2026-06-09")
    readme, data, names = archive_of(store, tmp_path)
    assert "NOT IN THIS ARCHIVE: 2 readings, kept in your account" in readme
    files = {r["id"]: r["file"] for r in data["recordings"]}
    assert files["r-remote-1"] is None and files["r-remote-2"] is None
    assert all("path" not in r for r in data["recordings"])  # no device path, no storage path
    assert sum(n.endswith(".ogg") for n in names) == 1


def test_a_reading_whose_file_is_gone_is_counted_too(store, tmp_path):
    rec = recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))
    path = store.query("select path from recordings where id = ?", (rec.id,))[0]["path"]
    from pathlib import Path

    Path(path).unlink()
    readme, data, _ = archive_of(store, tmp_path)
    assert "NOT IN THIS ARCHIVE: 1 reading," in readme and data["recordings"][0]["file"] is None


def test_two_files_of_one_day_get_names_of_their_own():
    assert unique("recordings/2026-06-10", ".ogg", set()) == "recordings/2026-06-10.ogg"
    assert unique("recordings/2026-06-10", ".ogg", {"recordings/2026-06-10.ogg", "recordings/2026-06-10-2.ogg"}) \
        == "recordings/2026-06-10-3.ogg"


def test_the_missing_note_counts_in_words():
    assert missing_note(0, 0) == ""
    assert "1 reading and 2 vision board images," in missing_note(1, 2)
