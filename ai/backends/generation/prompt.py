"""The prompt both generative backends use: numbered sources, the recent turns, an instruction to cite."""

from __future__ import annotations

import re

from ai.backends.generation.base import GenerationRequest

SYSTEM = (
    "You are a customer support assistant. Answer ONLY with facts stated in the numbered sources. "
    "Cite the sources you use as [1], [2]. If the sources do not answer the question, reply exactly: "
    "I don't know. Answer the question first, in whole sentences, in the language the customer wrote in "
    "(Chinese for a Chinese question). Keep the answer short."
)

_CITATION = re.compile(r"\[(\d{1,2})\]")


def messages(request: GenerationRequest) -> list[dict[str, str]]:
    sources = "\n\n".join(f"[{i + 1}] {p.title}\n{p.text}" for i, p in enumerate(request.passages))
    chat: list[dict[str, str]] = [{"role": "system", "content": f"{SYSTEM}\n\nSources:\n{sources}"}]
    for turn in request.history[-6:]:
        chat.append({"role": "user" if turn.role == "customer" else "assistant", "content": turn.text})
    chat.append({"role": "user", "content": request.question})
    return chat


def cited_indices(text: str, count: int) -> list[int]:
    """Passage indices named as [n] in the text; the first passage when the model cited none."""
    found: list[int] = []
    for match in _CITATION.finditer(text):
        index = int(match.group(1)) - 1
        if 0 <= index < count and index not in found:
            found.append(index)
    return found or ([0] if count else [])


def strip_citations(text: str) -> str:
    return re.sub(r"\s*\[\d{1,2}\]", "", text).strip()


def declined(text: str) -> bool:
    lowered = text.lower()
    return (not text.strip() or "i don't know" in lowered or "i do not know" in lowered or "not_found" in lowered
            or "不知道" in text or "无法回答" in text)
