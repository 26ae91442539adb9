"""The phone build's configuration: `scripts/phone_config.py` writes the project's public
configuration into the app folder at build time, and `chris_app.sync.config` reads it last
(after the environment and the user's own file), as a phone app has neither."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from chris_app.sync import config
from chris_app.sync.config import BackendConfig, load_config, load_push_app_id

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "1b2c3d4e-0000-4000-8000-123456789abc"
spec = importlib.util.spec_from_file_location("phone_config", ROOT / "scripts" / "phone_config.py")
phone_config = importlib.util.module_from_spec(spec)
spec.loader.exec_module(phone_config)


def write(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_shipped_file_configures_a_phone_that_has_no_environment_and_no_user_file(tmp_path):
    shipped = write(tmp_path / "shipped.json", {"url": "https://xyz.supabase.co/", "anon_key": "anon",
                                                 "onesignal_app_id": APP_ID})
    env = {config.BUNDLED_ENV: str(shipped)}
    assert load_config(env, tmp_path / "none.json") == BackendConfig("https://xyz.supabase.co", "anon")
    assert load_push_app_id(env, tmp_path / "none.json") == APP_ID


def test_the_environment_then_the_users_file_win_over_the_shipped_one(tmp_path):
    shipped = write(tmp_path / "shipped.json", {"url": "https://shipped.co", "anon_key": "s",
                                                 "onesignal_app_id": APP_ID})
    user = write(tmp_path / "user.json", {"url": "https://user.co", "anon_key": "u"})
    env = {config.BUNDLED_ENV: str(shipped)}
    assert load_config(env, user) == BackendConfig("https://user.co", "u")
    assert load_config({**env, "SUPABASE_URL": "https://env.co", "SUPABASE_ANON_KEY": "e"}, user) \
        == BackendConfig("https://env.co", "e")
    # the user's file has no app id: the shipped one still gives push
    assert load_push_app_id(env, user) == APP_ID


@pytest.mark.parametrize("content", ["not json", "[]", '{"url": "ftp://x", "anon_key": "k"}'])
def test_a_broken_shipped_file_means_guest_mode_not_a_crash(tmp_path, content):
    shipped = tmp_path / "shipped.json"
    shipped.write_text(content, encoding="utf-8")
    assert load_config({config.BUNDLED_ENV: str(shipped)}, tmp_path / "none.json") is None


def test_the_build_script_writes_what_the_app_reads_back(tmp_path):
    target = tmp_path / "supabase.json"
    env = {"SUPABASE_URL": "https://xyz.supabase.co", "SUPABASE_ANON_KEY": "anon-key",
           "CHRIS_ONESIGNAL_APP_ID": APP_ID}
    assert phone_config.main(env, target) == 0
    read_env = {config.BUNDLED_ENV: str(target)}
    assert load_config(read_env, tmp_path / "none.json") == BackendConfig("https://xyz.supabase.co", "anon-key")
    assert load_push_app_id(read_env, tmp_path / "none.json") == APP_ID
    assert set(json.loads(target.read_text())) == {"url", "anon_key", "onesignal_app_id"}  # nothing else ships


@pytest.mark.parametrize("env, says", [
    ({"SUPABASE_URL": "xyz.supabase.co", "SUPABASE_ANON_KEY": "k"}, "https://"),
    ({"SUPABASE_URL": "https://xyz.supabase.co"}, "anon key"),
    ({"SUPABASE_URL": "https://x.co", "SUPABASE_ANON_KEY": "eyJ.service_role.x"}, "service key"),
    ({"SUPABASE_URL": "https://x.co", "SUPABASE_ANON_KEY": "k", "CHRIS_ONESIGNAL_APP_ID": "nope"}, "UUID"),
])
def test_the_build_script_refuses_bad_values_in_a_sentence_and_writes_nothing(tmp_path, capsys, env, says):
    target = tmp_path / "supabase.json"
    assert phone_config.main(env, target) == 2
    assert says in capsys.readouterr().err
    assert not target.exists()


def test_a_guest_only_build_removes_a_file_left_by_an_earlier_build(tmp_path):
    target = write(tmp_path / "supabase.json", {"url": "https://old.co", "anon_key": "old"})
    assert phone_config.main({}, target) == 0
    assert not target.exists()


def test_the_phone_entry_points_the_app_at_the_file_shipped_next_to_it_and_git_ignores_it():
    entry = (ROOT / "packaging" / "app" / "main.py").read_text(encoding="utf-8")
    assert f'os.environ.setdefault("{config.BUNDLED_ENV}", str(Path(__file__).with_name("supabase.json")))' in entry
    assert "packaging/app/supabase.json" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
