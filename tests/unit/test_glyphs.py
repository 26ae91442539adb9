"""Every character the app can put on screen is drawn by the app's bundled font.

The web build runs offline: a character the bundled font (assets/fonts/Inter.ttf) lacks has
no fallback font to come from and shows as an empty box (the "Viewed ✓" of old). So every
string literal in chris_app's code must use characters in the font's character map, and, even
where the font has them, no dingbats, emoji or pictographs: those are icons (ft.Icons)."""

import ast
import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from chris_app.assets import assets_dir

SRC = Path(__file__).resolve().parents[2] / "src" / "chris_app"
# Miscellaneous Symbols, Dingbats, and the emoji/pictograph planes.
PICTOGRAPHS = [(0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF)]


def string_literals():
    """(path, line, text) of every string in the code but docstrings and comments-as-strings,
    which no member sees."""
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        unseen = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in unseen:
                yield path.relative_to(SRC), node.lineno, node.value


@pytest.fixture(scope="module")
def font_chars() -> set[int]:
    return set(TTFont(assets_dir() / "fonts" / "Inter.ttf").getBestCmap())


def test_the_font_is_bundled_with_its_licence():
    fonts = assets_dir() / "fonts"
    assert (fonts / "Inter.ttf").read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    assert "SIL OPEN FONT LICENSE" in (fonts / "Inter-LICENSE.txt").read_text().upper()


def test_no_string_in_the_app_uses_a_character_the_font_lacks(font_chars):
    missing = [(str(path), line, ch, f"U+{ord(ch):04X}")
               for path, line, text in string_literals()
               for ch in set(text)
               if ord(ch) >= 0x20 and unicodedata.category(ch)[0] != "C" and ord(ch) not in font_chars]
    assert missing == []


def test_no_string_in_the_app_uses_a_symbol_that_should_be_an_icon():
    pictographs = [(str(path), line, ch, f"U+{ord(ch):04X}")
                   for path, line, text in string_literals()
                   for ch in set(text)
                   if any(lo <= ord(ch) <= hi for lo, hi in PICTOGRAPHS) or ch == "\ufe0f"]
    assert pictographs == []


def test_the_check_would_catch_the_old_tick(font_chars):
    """(The test above is not vacuous: the tick that used to show as a box is caught.)"""
    tick = ord("\u2713")
    assert any(lo <= tick <= hi for lo, hi in PICTOGRAPHS)
