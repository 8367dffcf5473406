"""The support guard: a generated answer is shown only if every sentence is backed by a cited passage.

A sentence counts as supported when most of its content words occur in the cited passages (for Chinese, most of
its character bigrams), or when it is semantically close (cosine) to one of their sentences. Numbers must match
exactly: an invented fee or number of days is the worst kind of wrong answer, so any number absent from the sources
fails the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ai.backends.text import CJK, bigrams, has_cjk, sentences, terms

if TYPE_CHECKING:
    import numpy as np

LEXICAL_SUPPORT = 0.6
SEMANTIC_SUPPORT = 0.75
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class GuardResult:
    supported: bool
    unsupported: list[str]


def _lexical_support(sentence: str, source_terms: set[str], source_bigrams: set[str]) -> float:
    """Share of the sentence's content (English terms, Chinese character bigrams) found in the sources."""
    words = {w for w in terms(sentence) if not CJK.match(w)}
    grams = bigrams(sentence) if has_cjk(sentence) else set()
    total = len(words) + len(grams)
    if not total:
        return 1.0
    return (len(words & source_terms) + len(grams & source_bigrams)) / total


def check(answer: str, sources: Sequence[str], *,
          embedder: Callable[[list[str]], np.ndarray] | None = None,
          semantic_support: float = SEMANTIC_SUPPORT) -> GuardResult:
    if not answer.strip() or not sources:
        return GuardResult(False, [answer] if answer.strip() else [])
    source_text = " ".join(sources)
    source_terms, source_bigrams = terms(source_text), bigrams(source_text)
    source_numbers = set(_NUMBER.findall(source_text))
    source_sentences = [s for text in sources for s in sentences(text)]
    doubtful: list[str] = []
    unsupported: list[str] = []
    for sentence in sentences(answer):
        if any(n not in source_numbers for n in _NUMBER.findall(sentence)):
            unsupported.append(sentence)
            continue
        if _lexical_support(sentence, source_terms, source_bigrams) >= LEXICAL_SUPPORT:
            continue
        doubtful.append(sentence)
    if doubtful and embedder is not None and source_sentences:
        vectors = embedder(doubtful + source_sentences)
        similarity = vectors[: len(doubtful)] @ vectors[len(doubtful):].T
        for sentence, row in zip(doubtful, similarity, strict=True):
            if float(row.max()) < semantic_support:
                unsupported.append(sentence)
    else:
        unsupported.extend(doubtful)
    return GuardResult(not unsupported, unsupported)
