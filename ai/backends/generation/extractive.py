"""The default backend: quotes the passage sentences closest to the question. It cannot invent anything.

Sentences of the best passage are scored by cosine similarity to the question (the embedding model is already
loaded for retrieval), and the best one or two are quoted in their original order. Sentences the customer
already rejected are never quoted again.
"""

from __future__ import annotations

import re

from ai.backends.generation.base import Generated, GenerationRequest

MAX_SENTENCES = 2
SECOND_SENTENCE = 0.8
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(£€$])|\n+")
_MARKUP = re.compile(r"^[#>*\-\s]+|\*\*")


_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(?<!\w)[*_]{1,2}([^*_\n]+)[*_]{1,2}(?!\w)")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables_to_sentences(text: str) -> str:
    """A Markdown table row becomes one readable sentence: "Express: UK 1-2 business days; Cost £5."."""
    out: list[str] = []
    header: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("|"):
            header = []
            out.append(line)
            continue
        cells = _cells(stripped)
        if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
            continue
        if not header:
            header = cells
            continue
        pairs = [f"{h} {c}" if h else c for h, c in zip(header[1:], cells[1:], strict=False) if c]
        out.append(f"{cells[0]}: {'; '.join(pairs)}.")
    return "\n".join(out)


def sentences(text: str) -> list[str]:
    plain = _EMPHASIS.sub(r"\1", _LINK.sub(r"\1", _tables_to_sentences(text)))
    parts = (_MARKUP.sub("", part).strip() for part in _SENTENCE.split(plain))
    # A line without closing punctuation and only a few words is a heading or a label, not something to quote.
    return [part for part in parts if len(part) > 3 and (part[-1] in ".!?:)" or len(part.split()) > 6)]


def _normalise(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def answer(request: GenerationRequest) -> Generated:
    from ai.backends.embeddings import embed_cached as embed

    rejected = " ".join(_normalise(text) for text in request.rejected)
    # Quote from the best-ranked passage: retrieval judged the whole chunk (and the conversation), which is a
    # better guide to the right article than one sentence's similarity. Later passages are used only when every
    # sentence of the earlier ones was already rejected by the customer.
    chosen_passage, candidates = -1, []
    for p_index, passage in enumerate(request.passages):
        candidates = [(position, sentence) for position, sentence in enumerate(sentences(passage.text))
                      if not (rejected and _normalise(sentence) in rejected)]
        if candidates:
            chosen_passage = p_index
            break
    if not candidates:
        return Generated(text="", cited=[], backend="extractive")
    queries = [request.question] + ([request.context_query] if request.context_query else [])
    vectors = embed(queries + [c[1] for c in candidates])
    # A follow-up ("how long does that take?") is scored against itself and against the query that carries its
    # topic, so the quote answers the new question about the earlier subject.
    similarity = (vectors[len(queries):] @ vectors[: len(queries)].T).mean(axis=1)
    ranked = sorted(range(len(candidates)), key=lambda i: float(similarity[i]), reverse=True)
    # A second sentence only when it is nearly as relevant as the first; otherwise it is noise.
    best = [i for i in ranked[:MAX_SENTENCES] if float(similarity[i]) >= SECOND_SENTENCE * float(similarity[ranked[0]])]
    quoted = " ".join(candidates[i][1] for i in sorted(best))
    return Generated(text=quoted, cited=[chosen_passage], backend="extractive", model="quote",
                     score=round(float(similarity[ranked[0]]), 4))
