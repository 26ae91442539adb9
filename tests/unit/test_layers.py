"""The layers hold: read from the source's import statements and attribute reads (ast), so a
change that reaches through a layer fails here, not in review.

- the domain is pure: it imports nothing of the app outside chris_app.domain and no I/O library;
- screens and services reach the backend only through the account's public face (the methods
  a member's action needs and `status`), never its insides (engine, auth, backend door, store…),
  and import no sync, store-internal or HTTP module (the error tree is the one exception);
- no module imports a layer above it (domain < store < services < views)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "chris_app"

IO_LIBRARIES = {"sqlite3", "httpx", "flet", "keyring", "sounddevice", "soundfile", "supabase", "postgrest", "socket"}
# What an Account has that screens must not touch: how it syncs, talks and stores.
ACCOUNT_INSIDES = {"engine", "auth", "backend", "store", "config", "loop", "watcher", "rpc_transport"}
# What screens and services may import from the sync side: the member-facing error tree, which
# they catch and show, and the naming of a row's file (a recording kept only on the server).
ALLOWED = {"chris_app.errors", "chris_app.sync.errors", "chris_app.sync.paths"}
# The domain's one import of the app: the built-in actions library, data shipped with the code.
DOMAIN_DATA = {"chris_app.library"}


def modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def account_reads(path: Path) -> set[str]:
    """Attributes read on anything named `account` (`account.x`, `app.account.x`, `self.account.x`)."""
    reads = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else None
            if name == "account":
                reads.add(node.attr)
    return reads


def instance_attributes() -> set[str]:
    """What Account.__init__ sets on `self` (plain attributes, which the class does not show)."""
    tree = ast.parse((SRC / "account" / "core.py").read_text())
    [init] = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
    return {t.attr for n in ast.walk(init) if isinstance(n, ast.Assign) for e in n.targets
            for t in (e.elts if isinstance(e, ast.Tuple) else [e])
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"}


def rel(path: Path) -> str:
    return str(path.relative_to(SRC.parent))


@pytest.mark.parametrize("path", modules("domain"), ids=rel)
def test_the_domain_imports_only_the_domain_and_no_io(path):
    app = {n for n in imported(path)
           if n.startswith("chris_app") and not n.startswith("chris_app.domain") and n not in DOMAIN_DATA}
    io = {n for n in imported(path) if n.split(".")[0] in IO_LIBRARIES}
    assert not app and not io, f"{rel(path)} imports {sorted(app | io)}"


@pytest.mark.parametrize("path", modules("views") + modules("services"), ids=rel)
def test_screens_and_services_use_only_the_accounts_public_face(path):
    insides = {a for a in account_reads(path) if a.startswith("_") or a in ACCOUNT_INSIDES}
    assert not insides, f"{rel(path)} reads the account's insides: {sorted(insides)}"
    reaching = {n for n in imported(path) if n.startswith(("chris_app.sync", "chris_app.account.core",
                                                           "chris_app.functions_client")) and n not in ALLOWED}
    assert not reaching, f"{rel(path)} imports {sorted(reaching)}"


@pytest.mark.parametrize("path", modules("views") + modules("services"), ids=rel)
def test_the_account_attributes_screens_read_exist_on_the_account(path):
    """A screen that asks the account something it does not have would fail only when a signed-in
    member reaches that branch; here it fails at once."""
    from chris_app.account import Account

    missing = {a for a in account_reads(path) if not hasattr(Account, a) and a not in instance_attributes()}
    assert not missing, f"{rel(path)} reads {sorted(missing)}, which Account does not have"


LAYERS = ["domain", "store", "services", "views"]


@pytest.mark.parametrize("layer", LAYERS[:-1])
def test_no_layer_imports_one_above_it(layer):
    above = tuple(f"chris_app.{upper}" for upper in LAYERS[LAYERS.index(layer) + 1:])
    offenders = {rel(p): sorted(n for n in imported(p) if n.startswith(above)) for p in modules(layer)}
    assert not {k: v for k, v in offenders.items() if v}
