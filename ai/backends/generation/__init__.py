"""Answer generation backends: ``extractive`` (default), ``transformers`` (local model) and ``openai`` (endpoint).

Every backend gets the question, the conversation so far and the retrieved passages, and returns text plus the
indices of the passages it used. Callers redact PII before calling and check support afterwards (``ai.guard``).
"""

from __future__ import annotations

from ai.backends.generation.base import Generated, GenerationError, GenerationRequest, Passage, Turn, generate

__all__ = ["Generated", "GenerationError", "GenerationRequest", "Passage", "Turn", "generate"]
