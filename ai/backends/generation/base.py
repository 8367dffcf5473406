"""Shared types and the dispatcher. The heavy backends are imported only when chosen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

BACKENDS = ("extractive", "transformers", "openai")


class GenerationError(Exception):
    """The backend could not answer (endpoint down, model missing): the caller hands off instead."""


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk, as the generator sees it."""

    title: str
    text: str
    url: str = ""
    heading: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class Turn:
    role: Literal["customer", "assistant"]
    text: str


@dataclass(frozen=True)
class GenerationRequest:
    question: str
    passages: Sequence[Passage]
    history: Sequence[Turn] = ()
    # Texts the customer already rejected: the extractive backend skips sentences that repeat them.
    rejected: Sequence[str] = ()
    max_new_tokens: int = 160
    # The retrieval query (the question with its topic from earlier turns), when it differs from the question.
    context_query: str = ""


@dataclass(frozen=True)
class Generated:
    text: str
    cited: list[int] = field(default_factory=list)  # indices into request.passages
    backend: str = "extractive"
    model: str = ""
    score: float = 0.0  # extractive: similarity of the best quoted sentence to the question
    # What the reader saw of its own answer (how well it covers the question); ``ai.decision`` reads it.
    evidence: dict[str, float] = field(default_factory=dict)


def generate(request: GenerationRequest, *, backend: str = "extractive", model: str = "", base_url: str = "",
             api_key: str = "", timeout: float = 30.0, public_only: bool = False) -> Generated:
    if backend == "extractive":
        from ai.backends.generation import extractive

        return extractive.answer(request)
    if backend == "transformers":
        from ai.backends.generation import local

        return local.answer(request, model_path=model)
    if backend == "openai":
        from ai.backends.generation import openai

        return openai.answer(request, model=model, base_url=base_url, api_key=api_key, timeout=timeout,
                             public_only=public_only)
    raise ValueError(f"unknown generation backend {backend!r}; choose one of {', '.join(BACKENDS)}")
