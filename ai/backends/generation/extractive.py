"""The default reader: composes a reply from whole sentences of the retrieved passages. It cannot invent anything.

Every quotable unit of the top passages (a sentence, a lead-in with its list, a list item, a table row; see
``ai.backends.text.units``) is scored against the question:
- meaning: cosine similarity of the unit to the question (and to the retrieval query, which carries the topic of
  earlier turns), taken relative to the other candidates, since absolute cosines differ from model to model;
- words: the share of the question's content terms the unit and its article contain (a near-miss such as "roaming
  in Morocco" finds the roaming article but not "Morocco");
- retrieval: a bonus for the first article, which retrieval judged on the whole passage and its title.

The best unit answers first; up to two more follow when they score nearly as well, from the same article or from
another one when the question needs both (two articles are then cited). The evidence (how well the best unit and
the chosen articles cover the question) goes back with the reply: the decision to answer, suggest articles or hand
off is taken from it (``ai.decision``). When nothing in the passages covers the question, the reader says so by
returning no text.
"""

from __future__ import annotations

import re

from ai.backends import text as textutil
from ai.backends.generation.base import Generated, GenerationRequest

MAX_UNITS = 3
MAX_CHARS = 420
# A further unit joins the reply when its score is within this much of the best one (scores are z-scores plus
# bounded bonuses, so the margin is in standard deviations of the candidates' similarity).
FOLLOWER_MARGIN = 0.6
FOLLOWER_Z = 0.5  # a unit answering another part of the question must still be well above the average candidate
LEXICAL_WEIGHT = 1.5
# Retrieval ranked whole articles with two signals (meaning and words); the reader sees sentences only, so the
# first article keeps the lead unless a sentence elsewhere is clearly better.
RANK_WEIGHT = 1.0


def _normalise(value: str) -> str:
    return re.sub(r"\W+", " ", value.lower()).strip()


def _coverage(question_terms: set[str], text_terms: set[str]) -> float:
    return len(question_terms & text_terms) / len(question_terms) if question_terms else 0.0


def answer(request: GenerationRequest) -> Generated:

    from ai.backends.embeddings import embed_cached as embed

    rejected = " ".join(_normalise(t) for t in request.rejected)
    seen: set[str] = set()
    candidates: list[tuple[int, textutil.Unit]] = []
    for index, passage in enumerate(request.passages):
        for unit in textutil.units(passage.text):
            # Chunks of one article overlap a little, and a rejected answer is never quoted again.
            if unit.text not in seen and not (rejected and _normalise(unit.text) in rejected):
                seen.add(unit.text)
                candidates.append((index, unit))
    if not candidates:
        return Generated(text="", cited=[], backend="extractive", model="reader")
    queries = [request.question] + ([request.context_query] if request.context_query else [])
    query_vectors = embed(queries, role="query")
    unit_vectors = embed([unit.text for _, unit in candidates], role="passage")
    # A follow-up ("how long does that take?") is scored against itself and against the query that carries its
    # topic, so the quote answers the new question about the earlier subject.
    similarity = (unit_vectors @ query_vectors.T).mean(axis=1)
    spread = float(similarity.std()) or 1.0
    z = (similarity - float(similarity.mean())) / spread
    question_terms = textutil.terms(" ".join(queries))
    passage_terms = [textutil.terms(f"{p.title} {p.heading} {p.text}") for p in request.passages]
    scores = []
    for i, (index, unit) in enumerate(candidates):
        lexical = _coverage(question_terms, textutil.terms(unit.text) | textutil.terms(request.passages[index].title))
        scores.append(float(z[i]) + LEXICAL_WEIGHT * lexical + (RANK_WEIGHT if index == 0 else 0.0))
    order = sorted(range(len(candidates)), key=lambda i: scores[i], reverse=True)
    best = _whole_list(order[0], candidates, scores)
    chosen = [best]
    length = len(candidates[best][1].text)
    unit_terms = [textutil.terms(f"{request.passages[index].title} {unit.text}") for index, unit in candidates]
    covered = set(unit_terms[best])
    for i in order[1:]:
        if len(chosen) == MAX_UNITS:
            break
        index, unit = candidates[i]
        if length + len(unit.text) > MAX_CHARS or any(_overlaps(unit.text, candidates[j][1].text) for j in chosen):
            continue
        # Nearly as good a sentence of the same article adds detail; a sentence anywhere that is relevant and
        # covers words of the question the reply does not yet cover answers its other part ("the plan's price and
        # the roaming pass": two articles).
        nearly_as_good = index == candidates[best][0] and scores[i] >= scores[best] - FOLLOWER_MARGIN
        gain = (question_terms & unit_terms[i]) - covered
        answers_more = z[i] >= FOLLOWER_Z and len(gain) >= min(2, max(1, len(question_terms) // 3))
        if nearly_as_good or answers_more:
            chosen.append(i)
            covered |= unit_terms[i]
            length += len(unit.text)
    # The best unit first (it answers the question); the rest in the order of their article.
    rest = sorted(chosen[1:], key=lambda i: (candidates[i][0], candidates[i][1].position))
    picked = [candidates[i] for i in [best, *rest]]
    cited = list(dict.fromkeys(index for index, _ in picked))
    reply = _join([unit.text for _, unit in picked])
    covered = set().union(*(passage_terms[i] for i in cited))
    elsewhere = [scores[i] for i in order if candidates[i][0] != candidates[best][0]]
    evidence = {
        "reader_margin": round(scores[best] - elsewhere[0], 4) if elsewhere else 1.0,
        "reader_similarity": round(float(similarity[best]), 4),
        "reader_z": round(float(z[best]), 4),
        "reader_score": round(scores[best], 4),
        "coverage": round(_coverage(question_terms, covered), 4),
        "unit_coverage": round(_coverage(question_terms, textutil.terms(reply)), 4),
        "question_terms": float(len(question_terms)),
        "cited_rank": float(cited[0]),
    }
    return Generated(text=reply, cited=cited, backend="extractive", model="reader",
                     score=round(float(similarity[best]), 4), evidence=evidence)


def _whole_list(best: int, candidates: list[tuple[int, textutil.Unit]], scores: list[float]) -> int:
    """A list item that won on its own gives way to its whole list with the lead-in, when that scores nearly as
    well: "the ways to pay" are all three, not the first; "the price of the 40GB plan" stays one item."""
    index, unit = candidates[best]
    if unit.within is None:
        return best
    for i, (other_index, other) in enumerate(candidates):
        if other_index == index and other.position == unit.within:
            close = scores[i] >= scores[best] - FOLLOWER_MARGIN / 2
            return i if close and len(other.text) <= MAX_CHARS else best
    return best


def _overlaps(a: str, b: str) -> bool:
    """A list item repeats what its lead-in unit already quotes."""
    return a in b or b in a


def _join(parts: list[str]) -> str:
    """Chinese sentences follow each other without a space; English ones with one."""
    return "".join(p if textutil.has_cjk(p[-1:]) or p[-1:] in "。！？；：）」』”" else p + " " for p in parts).strip()
