"""The read-aloud check (issue 16): how much of the affirmations the member read, and how fast,
from the transcript of their reading. Pure: the transcript and the speaking time are passed in.

Words are compared after normalising: case folded, punctuation dropped (an apostrophe inside a
word stays: "I'm" is one word, and typographic apostrophes count as ASCII ones). Numbers are
compared as they are written: "5 km" in the affirmations does not match "five km" in the
transcript.

`coverage` is the share of the affirmation words found IN ORDER in the transcript: the words of
the matching blocks of a word-level `difflib.SequenceMatcher` alignment (autojunk off, so the
frequent "I" and "my" of a long reading are never ignored). A skipped word or a misheard one
lowers it; a repeated line, an aside or a word read twice does not (each affirmation word counts
at most once); reading the lines out of order counts only the longest run of them in order.

`words_per_minute` is the transcript's words over the speaking time (the voiced part of the
reading, `audio.metrics`), so pauses between lines do not slow it down."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_WORD = re.compile(r"\w+(?:'\w+)*")


def words(text: str) -> list[str]:
    """The normalised words of `text`, in order."""
    return _WORD.findall(text.casefold().replace("\u2019", "'").replace("\u2018", "'"))


def coverage(affirmations: str, transcript: str) -> float:
    """The share (0..1) of the affirmation words found in order in the transcript; 0.0 when the
    affirmations have no words."""
    expected = words(affirmations)
    if not expected:
        return 0.0
    matcher = SequenceMatcher(None, expected, words(transcript), autojunk=False)
    found = sum(block.size for block in matcher.get_matching_blocks())
    return found / len(expected)


def words_per_minute(transcript: str, speaking_seconds: float) -> float | None:
    """Transcript words per minute of speaking; None when no speaking time was measured."""
    if speaking_seconds <= 0:
        return None
    return len(words(transcript)) * 60.0 / speaking_seconds


@dataclass(frozen=True, slots=True)
class ReadAloudCheck:
    coverage: float  # 0..1
    words_per_minute: float | None


def check(affirmations: str, transcript: str, speaking_seconds: float) -> ReadAloudCheck:
    return ReadAloudCheck(coverage(affirmations, transcript), words_per_minute(transcript, speaking_seconds))


def describe(result: ReadAloudCheck) -> str:
    """The sentence the member sees, e.g. "You read 94 % of your affirmations, 132 words a
    minute." (the percentage rounded down, so 100 % means every word was heard)."""
    percent = int(result.coverage * 100 + 1e-9)
    if result.words_per_minute is None:
        return f"You read {percent} % of your affirmations."
    return f"You read {percent} % of your affirmations, {round(result.words_per_minute)} words a minute."
