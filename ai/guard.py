"""The support guard: a generated answer is shown only if every sentence is backed by a cited passage.

A sentence counts as supported when most of its content words occur in the cited passages, or when it is
semantically close (cosine) to one of their sentences. Numbers must match exactly: an invented fee or number
of days is the worst kind of wrong answer, so any number absent from the sources fails the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ai.backends.generation.extractive import sentences

if TYPE_CHECKING:
    import numpy as np

LEXICAL_SUPPORT = 0.6
SEMANTIC_SUPPORT = 0.75
_WORD = re.compile(r"[a-z0-9£€$%]+(?:[.,]\d+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_STOP_WORDS = (
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this that "
    "these those you your we our i me my can will would should could do does did not no yes so than then there "
    "here have has had which who what when where how also just into about may might must"
)
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class GuardResult:
    supported: bool
    unsupported: list[str]


def _stem(word: str) -> str:
    """Just enough stemming for support checks: "costs"/"cost", "delivered"/"deliver", "taking"/"tak"."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _content_words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP}


def check(answer: str, sources: Sequence[str], *,
          embedder: Callable[[list[str]], np.ndarray] | None = None) -> GuardResult:
    if not answer.strip() or not sources:
        return GuardResult(False, [answer] if answer.strip() else [])
    source_text = " ".join(sources)
    source_words = _content_words(source_text)
    source_numbers = set(_NUMBER.findall(source_text))
    source_sentences = [s for text in sources for s in sentences(text)]
    doubtful: list[str] = []
    unsupported: list[str] = []
    for sentence in sentences(answer):
        if any(n not in source_numbers for n in _NUMBER.findall(sentence)):
            unsupported.append(sentence)
            continue
        words = _content_words(sentence)
        if not words or len(words & source_words) / len(words) >= LEXICAL_SUPPORT:
            continue
        doubtful.append(sentence)
    if doubtful and embedder is not None and source_sentences:
        vectors = embedder(doubtful + source_sentences)
        similarity = vectors[: len(doubtful)] @ vectors[len(doubtful):].T
        for sentence, row in zip(doubtful, similarity, strict=True):
            if float(row.max()) < SEMANTIC_SUPPORT:
                unsupported.append(sentence)
    else:
        unsupported.extend(doubtful)
    return GuardResult(not unsupported, unsupported)
