"""The read-aloud check's figures (domain/read_aloud.py): coverage by word-level alignment in
order, words per minute over the speaking time, and the sentence shown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chris_app.domain.read_aloud import ReadAloudCheck, check, coverage, describe, words, words_per_minute

AFFIRMATIONS = "I keep my word to myself.\nI act before I feel ready.\nI finish what I start."  # 17 words


def test_words_are_normalised():
    assert words("I'm READY, aren’t I? Yes — 5 km!") == ["i'm", "ready", "aren't", "i", "yes", "5", "km"]
    assert words("  ...  ") == []


def test_the_affirmations_read_exactly_cover_everything():
    assert coverage(AFFIRMATIONS, "i keep my word to myself i act before i feel ready i finish what i start") == 1.0


def test_a_skipped_line_lowers_coverage_by_its_words():
    transcript = "I keep my word to myself. I finish what I start."
    assert coverage(AFFIRMATIONS, transcript) == pytest.approx(11 / 17)


def test_a_misheard_word_counts_as_missing():
    transcript = "I keep my word to myself. I act before I fill ready. I finish what I start."
    assert coverage(AFFIRMATIONS, transcript) == pytest.approx(16 / 17)


def test_repeated_lines_and_asides_do_not_count_twice_or_against():
    transcript = ("Okay, here we go. I keep my word to myself. I keep my word to myself. Um, I act before I feel "
                  "ready. I finish what I start. I finish what I start. Done!")
    assert coverage(AFFIRMATIONS, transcript) == 1.0


def test_order_matters():
    backwards = "I finish what I start. I act before I feel ready. I keep my word to myself."
    assert coverage(AFFIRMATIONS, backwards) < 0.5  # only the longest run in order counts


def test_nothing_heard_or_nothing_to_read():
    assert coverage(AFFIRMATIONS, "") == 0.0
    assert coverage(AFFIRMATIONS, "   ") == 0.0
    assert coverage("", "I keep my word") == 0.0


def test_a_long_reading_full_of_i_still_aligns():
    """autojunk would drop words frequent in a transcript of 200+ words ("i"): it is off."""
    transcript = "Okay, so, here goes: " + " ".join([AFFIRMATIONS] * 20)  # 344 words, every one 20+ times
    assert coverage(AFFIRMATIONS, transcript) == 1.0  # with autojunk: 0.0


def test_words_per_minute_over_the_speaking_time():
    assert words_per_minute("one two three four five six", 3.0) == pytest.approx(120.0)
    assert words_per_minute("", 30.0) == 0.0
    assert words_per_minute("one two", 0.0) is None


def test_the_sentence():
    assert describe(ReadAloudCheck(0.94, 132.4)) == "You read 94 % of your affirmations, 132 words a minute."
    assert describe(ReadAloudCheck(0.29, None)) == "You read 29 % of your affirmations."
    assert describe(ReadAloudCheck(0.999, 90)) == "You read 99 % of your affirmations, 90 words a minute."
    assert describe(check(AFFIRMATIONS, AFFIRMATIONS, 8.5)) == (
        "You read 100 % of your affirmations, 120 words a minute.")


word = st.sampled_from(["i", "keep", "my", "word", "act", "before", "ready", "finish", "start", "strong", "today"])
texts = st.lists(word, max_size=40).map(" ".join)


@given(texts, texts)
def test_coverage_is_a_share(affirmations, transcript):
    assert 0.0 <= coverage(affirmations, transcript) <= 1.0


@given(st.lists(word, min_size=1, max_size=60).map(" ".join), st.sampled_from(["", ".", "!", "\n"]))
def test_the_affirmations_themselves_give_one(affirmations, punctuation):
    assert coverage(affirmations, affirmations.upper().replace(" ", punctuation + " ")) == 1.0


@given(st.lists(word, min_size=2, max_size=30, unique=True))
def test_reading_backwards_is_not_reading(ws):
    assert coverage(" ".join(ws), " ".join(reversed(ws))) == pytest.approx(1 / len(ws))


@given(texts, texts, texts)
def test_extra_words_around_the_reading_never_lower_it(affirmations, before, after):
    read = coverage(affirmations, affirmations)
    assert coverage(affirmations, f"{before} {affirmations} {after}") >= read - 1e-12 or read == 0.0
