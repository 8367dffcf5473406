"""The default backend: quotes the passage sentences closest to the question. It cannot invent anything.

Sentences are scored by cosine similarity to the question (the embedding model is already loaded for retrieval),
plus a small bonus for the passage's own retrieval rank, and the best two from the best passage are quoted in
their original order. Sentences the customer already rejected are never quoted again.
"""

from __future__ import annotations

import re

from ai.backends.generation.base import Generated, GenerationRequest

MAX_SENTENCES = 2
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(£€$])|\n+")
_MARKUP = re.compile(r"^[#>*\-\s]+|\*\*")


def sentences(text: str) -> list[str]:
    parts = (_MARKUP.sub("", part).strip() for part in _SENTENCE.split(text))
    return [part for part in parts if len(part) > 3]


def _normalise(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def answer(request: GenerationRequest) -> Generated:
    from ai.backends.embeddings import embed

    rejected = " ".join(_normalise(text) for text in request.rejected)
    candidates: list[tuple[int, int, str]] = []  # (passage index, position, sentence)
    for p_index, passage in enumerate(request.passages[:3]):
        for position, sentence in enumerate(sentences(passage.text)):
            if rejected and _normalise(sentence) in rejected:
                continue
            candidates.append((p_index, position, sentence))
    if not candidates:
        return Generated(text="", cited=[], backend="extractive")
    vectors = embed([request.question] + [c[2] for c in candidates])
    similarity = vectors[1:] @ vectors[0]
    # Earlier passages ranked higher in retrieval, which saw the whole conversation: favour them slightly.
    scores = [float(s) - 0.05 * c[0] for s, c in zip(similarity, candidates, strict=True)]
    best = max(range(len(candidates)), key=lambda i: scores[i])
    chosen_passage = candidates[best][0]
    same_passage = sorted(
        (i for i, c in enumerate(candidates) if c[0] == chosen_passage), key=lambda i: scores[i], reverse=True
    )[:MAX_SENTENCES]
    quoted = " ".join(candidates[i][2] for i in sorted(same_passage, key=lambda i: candidates[i][1]))
    return Generated(text=quoted, cited=[chosen_passage], backend="extractive", model="quote")
