import hashlib
import json
import zipfile
from datetime import timedelta

from chris_app.services import affirmations, day, recordings, summary, vision_board
from chris_app.services.data_rights import export_name, wipe_device, write_export
from chris_app.services.profile import get_profile
from tests.conftest import MORNING, wav_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\1" * 64


def fill(store):
    rec = recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))
    day.set_action(store, MORNING, "Ask for the raise")
    day.save_evening(store, MORNING + timedelta(hours=15), action_completed=True, discipline_rating=9,
                     biggest_win="Asked — and got it")
    vision_board.set_tile(store, MORNING, 3, PNG, "Cabin")
    affirmations.save_new_version(store, MORNING, "I ask for what I want.")
    return rec


def test_the_export_is_a_zip_with_all_data_and_files_a_member_can_open(store, tmp_path):
    rec = fill(store)
    target = write_export(store, MORNING, tmp_path / export_name(store, MORNING))
    assert target.name == "chris-disciplined-export-2026-06-10.zip"
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        root = "chris-disciplined-export-2026-06-10/"
        assert {root + "README.txt", root + "data.json", root + "recordings/2026-06-10.ogg",
                root + "vision-board/3.png"} <= names
        data = json.loads(archive.read(root + "data.json"))
        audio = archive.read(root + "recordings/2026-06-10.ogg")
        assert archive.read(root + "vision-board/3.png") == PNG
    assert hashlib.sha256(audio).hexdigest() == rec.sha256 == data["recordings"][0]["sha256"]
    assert data["daily_sessions"][0]["biggest_win"] == "Asked — and got it"
    assert [a["version"] for a in sorted(data["affirmations"], key=lambda a: a["version"])] == [1, 2]
    assert data["vision_board_tiles"][0]["caption"] == "Cabin"
    assert data["figures"]["current_streak"] == 1 and data["figures"]["completion_rate"] == "100.00"
    assert data["profile"][0]["timezone"] == "Europe/Berlin"
    assert "path" not in data["recordings"][0]  # no device paths leak into the export
    assert not list(tmp_path.glob(".*.part"))


def test_wiping_the_device_removes_everything_and_starts_a_new_guest(store):
    fill(store)
    later = MORNING + timedelta(days=3)
    wipe_device(store, later, "Asia/Tokyo")
    assert day.all_days(store) == [] and recordings.list_recordings(store) == []
    assert vision_board.tiles(store) == []
    assert [a.version for a in affirmations.history(store)] == [1]  # the starter set again
    assert get_profile(store).timezone == "Asia/Tokyo"
    assert summary.stats(store, later).total_days_completed == 0
    assert not any(store.files_dir.rglob("*.*"))
    assert store.query("select count(*) from outbox")[0][0] == 1  # only the new starter set
