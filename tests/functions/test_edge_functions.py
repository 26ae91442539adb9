"""Runs the edge functions' Deno tests (supabase/functions/**/*_test.ts) and fails, never skips,
when Deno cannot be installed or run, or when any Deno test fails.

The unit tests run without any Deno permission: Stripe, OpenAI, Kit and Supabase Auth are faked
at the fetch boundary, so a test that tried the real network would fail. The same handlers
against the real PostgreSQL functions: tests/db/test_db_edge_functions.py.
"""

from __future__ import annotations

from deno_tool import deno_test, summary

# every function and the shared code have a test file
FUNCTIONS_WITH_TESTS = [
    "stripe-webhook", "create-checkout-session", "customer-portal", "reminder-dispatch", "kit-sync",
    "generate-affirmations", "suggest-actions", "analyze-progress", "delete-account", "transcribe-reading",
    "export-data", "purge-exports",
]


def test_every_edge_function_has_an_entry_a_handler_and_tests():
    from deno_tool import FUNCTIONS

    for name in FUNCTIONS_WITH_TESTS:
        folder = FUNCTIONS / name
        assert (folder / "index.ts").exists(), name
        assert "Deno.serve(" in (folder / "index.ts").read_text(), name
        assert (folder / "handler.ts").exists(), name
        assert list(folder.glob("*_test.ts")), f"{name} has no *_test.ts"


def test_only_npm_and_node_imports_pinned_in_the_import_map():
    """JSR and deno.land are unreachable here: npm: and node: only, npm versions exact."""
    import json
    import re

    from deno_tool import FUNCTIONS

    imports = json.loads((FUNCTIONS / "deno.json").read_text())["imports"]
    for name, spec in imports.items():
        assert re.fullmatch(r"npm:(@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+", spec), (name, spec)
    statement = re.compile(r"""^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']""", re.M | re.S)
    bad, seen = [], 0
    for path in FUNCTIONS.rglob("*.ts"):
        if "node_modules" in path.parts:
            continue
        for spec in statement.findall(path.read_text()):
            seen += 1
            if not (spec.startswith((".", "npm:", "node:")) or spec in imports):
                bad.append(f"{path.relative_to(FUNCTIONS)}: {spec}")
    assert seen > 50, "the import scan found (almost) nothing"
    assert bad == []


def test_every_log_line_goes_through_the_scrubbing_logger():
    """console.* only in _shared/log.ts (which scrubs with scrub.ts, as the error reports do), so
    no function can print a member's email, name, token or words to the hosting dashboard."""
    import re

    from deno_tool import FUNCTIONS

    call = re.compile(r"\bconsole\s*\.\s*\w+")
    offenders, checked = [], 0
    for path in FUNCTIONS.rglob("*.ts"):
        rel = path.relative_to(FUNCTIONS)
        if "node_modules" in rel.parts or "testing" in rel.parts or path.name.endswith(("_test.ts", ".integration.ts")):
            continue
        checked += 1
        code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith(("//", "*", "/*")))
        if call.search(code) and rel.as_posix() != "_shared/log.ts":
            offenders.append(rel.as_posix())
    assert checked > 20, "the scan found (almost) no source files"
    assert offenders == []
    assert call.search((FUNCTIONS / "_shared" / "log.ts").read_text())  # the one place that writes


def test_deno_tests_pass():
    proc, out = deno_test([])
    passed, _steps, failed = summary(out)
    assert proc.returncode == 0 and failed == 0, out[-8000:]
    assert passed > 0, out[-3000:]
    print(f"deno: {passed} passed, {failed} failed")
