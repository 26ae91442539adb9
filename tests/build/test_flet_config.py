"""The phone build configuration, pyproject.toml [tool.flet], against what the installed
flet_cli (and flet_desktop, for desktop_flavor) actually read.

flet build ignores keys it does not know, silently: a misspelt key costs a broken release.
The set of keys it reads is taken from the installed source, not from a list kept here:
every "tool.flet...." string and f-string in flet_cli and flet_desktop, with the f-string
parts resolved to the platforms flet_cli knows ({self.config_platform}) or to the literal
arguments that its helpers (get_platform_setting, splash_setting, ...) are called with. A
configured key passes when it is one of those, or lies inside a table flet passes on whole
(e.g. [tool.flet.android.permission], [tool.flet.ios.info]).

`flet build` itself needs the Flutter SDK, which is not here; see docs/phone-build.md."""

from __future__ import annotations

import ast
import importlib.util
import struct
import tomllib
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = "<platform>"


def package_sources(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)  # flet_cli is a namespace package (no __init__.py)
    if spec is None or not (spec.submodule_search_locations or spec.origin):
        pytest.fail(f"{name} is not installed (it is in the test extra: pip install -c constraints.txt -e '.[test]')")
    if not spec.submodule_search_locations:
        return [Path(spec.origin)]
    return sorted(f for location in spec.submodule_search_locations for f in Path(location).rglob("*.py"))


class _KeyFinder:
    """Reads flet_cli/flet_desktop source and resolves the tool.flet keys it reads."""

    def __init__(self, files: list[Path]):
        self.trees = [ast.parse(f.read_text(encoding="utf-8"), str(f)) for f in files]
        self.parents: dict[ast.AST, ast.AST] = {}
        self.calls: dict[str, list[ast.Call]] = defaultdict(list)
        self.platforms: set[str] = set()
        self.permissions: set[str] = set()
        for tree in self.trees:
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    self.parents[child] = node
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                    if name:
                        self.calls[name].append(node)
                elif isinstance(node, ast.Dict):  # self.platforms = {"apk": {"config_platform": "android", ...}}
                    for k, v in zip(node.keys, node.values):
                        if _const(k) == "config_platform" and isinstance(_const(v), str):
                            self.platforms.add(_const(v))
                elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                    if any(getattr(t, "attr", None) == "cross_platform_permissions" for t in node.targets):
                        self.permissions |= {_const(k) for k in node.value.keys if isinstance(_const(k), str)}

    def _function(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None

    def values(self, expr: ast.AST, depth: int = 0) -> set[str]:
        """The strings an expression can be in a tool.flet key; empty when unknown."""
        if depth > 6:
            return set()
        if isinstance(_const(expr), str):
            return {_const(expr)}
        if getattr(expr, "attr", None) == "config_platform" or getattr(expr, "id", None) == "config_platform":
            return {PLATFORM}
        if isinstance(expr, ast.JoinedStr):
            out = {""}
            for part in expr.values:
                options = ({part.value} if isinstance(part, ast.Constant)
                           else self.values(part.value, depth + 1))
                out = {a + b for a in out for b in options}
            return out
        if isinstance(expr, ast.Name):
            func = self._function(expr)
            if func is None:
                return set()
            params = [a.arg for a in func.args.args]
            if expr.id in params:  # a parameter: what the callers pass
                index = params.index(expr.id) - (1 if params and params[0] == "self" else 0)
                found: set[str] = set()
                for call in self.calls.get(func.name, []):
                    if index < len(call.args):
                        found |= self.values(call.args[index], depth + 1)
                return found
            for node in ast.walk(func):  # a loop variable: `for name in (key, alias)`
                if (isinstance(node, ast.For) and getattr(node.target, "id", None) == expr.id
                        and isinstance(node.iter, (ast.Tuple, ast.List))):
                    return set().union(*(self.values(e, depth + 1) for e in node.iter.elts))
        return set()

    @cache
    def keys(self) -> frozenset[tuple[str, ...]]:
        found: set[tuple[str, ...]] = set()
        for tree in self.trees:
            for node in ast.walk(tree):
                if isinstance(node, (ast.Constant, ast.JoinedStr)) and not isinstance(
                        self.parents.get(node), ast.JoinedStr):
                    for text in self.values(node):
                        if text.startswith("tool.flet.") and " " not in text:
                            found |= {tuple(k.split(".")) for k in self._expand(text)}
                elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "get":
                    chain = _get_chain(node)  # data.get("tool", {}).get("flet", {}).get("desktop_flavor")
                    if chain[:2] == ["tool", "flet"] and len(chain) > 2:
                        found.add(tuple(chain))
        return frozenset(found)

    def _expand(self, text: str) -> set[str]:
        return {text.replace(PLATFORM, p) for p in self.platforms} if PLATFORM in text else {text}


def _const(node):
    return node.value if isinstance(node, ast.Constant) else None


def _get_chain(call: ast.Call) -> list[str]:
    chain: list[str] = []
    node: ast.AST = call
    while isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "get" and node.args:
        key = _const(node.args[0])
        if not isinstance(key, str):
            return []
        chain.insert(0, key)
        node = node.func.value
    return chain


@cache
def finder() -> _KeyFinder:
    return _KeyFinder(package_sources("flet_cli") + package_sources("flet_desktop"))


def leaf_keys(table: dict, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    out = []
    for key, value in table.items():
        path = (*prefix, key)
        out.extend(leaf_keys(value, path) if isinstance(value, dict) and value else [path])
    return out


def accepted(path: tuple[str, ...], keys: frozenset[tuple[str, ...]]) -> bool:
    """Read as is, or inside a table flet reads whole (not a bare platform table)."""
    return path in keys or any(
        k not in {("tool", "flet", p) for p in finder().platforms} and path[: len(k)] == k
        for k in keys)


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tool_flet(pyproject) -> dict:
    config = pyproject.get("tool", {}).get("flet")
    if not config:
        pytest.fail("pyproject.toml has no [tool.flet]: paste packaging/tool-flet.toml into it")
    return config


def test_the_key_finder_reads_the_installed_flet_cli():
    f = finder()
    assert {"android", "ios", "macos", "windows", "linux", "web"} <= f.platforms
    assert "microphone" in f.permissions
    keys = f.keys()
    for known in ("tool.flet.product", "tool.flet.permissions", "tool.flet.ios.info",
                  "tool.flet.android.deep_linking.scheme", "tool.flet.splash.color",
                  "tool.flet.android.dependencies", "tool.flet.dev_packages", "tool.flet.desktop_flavor"):
        assert tuple(known.split(".")) in keys, known
    assert ("tool", "flet", "no_such_key") not in keys
    assert not accepted(("tool", "flet", "premissions"), keys)
    assert not accepted(("tool", "flet", "android", "permissions", "x"), keys)


def test_every_tool_flet_key_is_one_flet_reads(tool_flet):
    keys = finder().keys()
    unknown = [".".join(p) for p in leaf_keys(tool_flet, ("tool", "flet")) if not accepted(p, keys)]
    assert not unknown, f"flet_cli does not read these keys: {unknown}"


def test_permissions_are_flet_permission_groups_with_our_own_texts(tool_flet):
    f = finder()
    assert set(tool_flet["permissions"]) <= f.permissions, f"flet knows only {sorted(f.permissions)}"
    assert "microphone" in tool_flet["permissions"]
    android = tool_flet["android"]["permission"]
    assert android.get("android.permission.RECORD_AUDIO") is True
    assert android.get("android.permission.POST_NOTIFICATIONS") is True  # reminders, Android 13+
    # flet build writes each key as is into <uses-permission android:name="...">: a short
    # name (RECEIVE_BOOT_COMPLETED, as flet-notifications' README writes it) is no permission.
    assert all(k.startswith("android.permission.") for k in android), sorted(android)
    for platform in ("ios", "macos"):
        text = tool_flet[platform]["info"]["NSMicrophoneUsageDescription"]
        assert "Chris Disciplined" in text and len(text) > 30, platform


def test_identity_and_deep_links(tool_flet):
    assert tool_flet["product"] == "Chris Disciplined"
    assert tool_flet["bundle_id"].startswith(tool_flet["org"] + ".")
    assert tool_flet["desktop_flavor"] == "full"
    # flet build reads deep links per platform: Android and iOS need their own tables.
    for table in (tool_flet["deep_linking"], tool_flet["android"]["deep_linking"], tool_flet["ios"]["deep_linking"]):
        assert table == {"scheme": "chrisapp", "host": "open"}


def test_the_phone_app_its_assets_and_its_dependencies_exist(tool_flet, pyproject):
    app = ROOT / tool_flet["app"]["path"]
    assert (app / f"{tool_flet['app'].get('module', 'main')}.py").is_file()
    for name in ("icon.png", "splash.png"):
        png = (app / "assets" / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n", name
        width, height = struct.unpack(">II", png[16:24])
        assert width == height >= 512, (name, width, height)
    for name, location in tool_flet.get("dev_packages", {}).items():
        assert (ROOT / location / "pyproject.toml").is_file(), (name, location)
    for platform in ("android", "ios"):
        assert "chris-app" in tool_flet[platform]["dependencies"], platform
    # flet build compiles in the Flutter side of every extension it installs from these.
    deps = " ".join(pyproject["project"]["dependencies"])
    assert "flet-audio==" in deps and "flet-audio-recorder==" in deps
    assert "flet-notifications==" in deps  # phone reminders (chris_app.notifications.phone)


def test_android_declares_what_scheduled_reminders_need(tool_flet):
    """Everything flet-notifications' own patch step would add: taken from its source, not
    from a list kept here, so a new release that needs more fails this test."""
    from flet_notifications.patcher import PERMISSIONS

    android = tool_flet["android"]["permission"]
    assert {p: android.get(p) for p in PERMISSIONS} == dict.fromkeys(PERMISSIONS, True)
    for permission in ("SCHEDULE_EXACT_ALARM", "RECEIVE_BOOT_COMPLETED"):  # its README's list
        assert android.get(f"android.permission.{permission}") is True


def test_the_patch_step_of_the_phone_build_does_what_the_docs_say(tool_flet, tmp_path):
    """`flet-notifications-patch`, run on a project laid out as flet build writes it (the
    template's manifest with our permissions), adds the receivers and desugaring, once."""
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "flet-notifications-patch"]
    patch = script.load()
    app = tmp_path / "android" / "app"
    (app / "src" / "main").mkdir(parents=True)
    permissions = "".join(f'    <uses-permission android:name="{k}" />\n'
                          for k, v in tool_flet["android"]["permission"].items() if v is True)
    manifest = app / "src" / "main" / "AndroidManifest.xml"
    manifest.write_text(
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android">\n'
        '    <uses-permission android:name="android.permission.INTERNET" />\n' + permissions +
        '    <application android:label="Chris Disciplined" android:name="${applicationName}">\n'
        '        <activity android:name=".MainActivity" android:exported="true" />\n'
        "    </application>\n</manifest>\n", encoding="utf-8")
    gradle = app / "build.gradle.kts"
    gradle.write_text("android {\n    compileOptions {\n    }\n    defaultConfig {\n    }\n}\n"
                      "dependencies {\n}\n", encoding="utf-8")
    assert patch(["--project-root", str(tmp_path)]) == 0
    text = manifest.read_text(encoding="utf-8")
    for receiver in ("ScheduledNotificationReceiver", "ScheduledNotificationBootReceiver", "ActionBroadcastReceiver"):
        assert f"com.dexterous.flutterlocalnotifications.{receiver}" in text, receiver
    assert "android.intent.action.BOOT_COMPLETED" in text
    for permission in tool_flet["android"]["permission"]:  # already declared: not added twice
        assert text.count(f'"{permission}"') == 1, permission
    assert "isCoreLibraryDesugaringEnabled = true" in gradle.read_text(encoding="utf-8")
    before = (manifest.read_text(encoding="utf-8"), gradle.read_text(encoding="utf-8"))
    assert patch(["--project-root", str(tmp_path)]) == 0  # idempotent: a rebuild may run it again
    assert (manifest.read_text(encoding="utf-8"), gradle.read_text(encoding="utf-8")) == before
