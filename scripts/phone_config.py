"""Writes the phone build's configuration: `packaging/app/supabase.json`, shipped inside the
app by `flet build apk|ipa` (a phone app has no shell environment and nobody to write its
config folder; chris_app.sync.config reads this file last).

    SUPABASE_URL=https://xyz.supabase.co SUPABASE_ANON_KEY=eyJ... \\
    CHRIS_ONESIGNAL_APP_ID=1b2c3d4e-... .venv/bin/python scripts/phone_config.py

Only public configuration goes in (the project URL, its anon key, the OneSignal app id: each
is compiled into every client anyway); never a service key or a member's token. The file is
ignored by git. Without SUPABASE_URL and SUPABASE_ANON_KEY the phone build is guest-only:
the script says so and removes a file left from an earlier build. Exits 2 on a bad value."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from chris_app.sync.config import ONESIGNAL_ENV, ONESIGNAL_KEY, backend_of, push_app_id_of

TARGET = Path(__file__).resolve().parent.parent / "packaging" / "app" / "supabase.json"


def phone_config(env: dict[str, str]) -> dict[str, str] | None:
    """The file's object from `env`; None for a guest-only build. ValueError on a bad value."""
    url, key = env.get("SUPABASE_URL", "").strip(), env.get("SUPABASE_ANON_KEY", "").strip()
    if not url and not key:
        return None
    config = backend_of({"url": url, "anon_key": key})
    if config is None:
        raise ValueError("SUPABASE_URL must be the project's https:// address and SUPABASE_ANON_KEY its anon key")
    if "service_role" in key:
        raise ValueError("SUPABASE_ANON_KEY looks like a service key: only the anon key may ship in the app")
    data = {"url": config.url, "anon_key": config.anon_key}
    app_id = env.get(ONESIGNAL_ENV, "").strip()
    if app_id:
        if push_app_id_of(app_id, ONESIGNAL_ENV) is None:
            raise ValueError(f"{ONESIGNAL_ENV} must be the OneSignal app id (a UUID)")
        data[ONESIGNAL_KEY] = app_id
    return data


def main(env: dict[str, str] | None = None, target: Path = TARGET) -> int:
    try:
        data = phone_config(dict(os.environ if env is None else env))
    except ValueError as exc:
        print(f"phone_config: {exc}", file=sys.stderr)
        return 2
    if data is None:
        target.unlink(missing_ok=True)
        print("phone_config: no SUPABASE_URL/SUPABASE_ANON_KEY: the phone build is guest-only (no sync, no push)")
        return 0
    target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    push = "with" if ONESIGNAL_KEY in data else "without"
    print(f"phone_config: wrote {target} ({data['url']}, {push} server push)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
