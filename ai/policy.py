"""The answer-or-hand-off decision, from retrieval scores and what the customer said. Pure and unit-tested.

Order matters: a request for a human always wins (nobody should have to argue with a bot), then categories the
tenant reserves for humans, then anger, then confidence. Only when none applies does the bot answer.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

Action = Literal["answer", "handoff"]
# Two different articles within this much confidence of each other: picking one is a coin toss, so ask a human.
AMBIGUITY_MARGIN = 0.03

_HUMAN = re.compile(
    r"\b(?:(?:talk|speak|chat|connect|transfer)\w*\s+(?:me\s+)?(?:to|with)\s+(?:a|an|some|the|your|real|actual|\s)*"
    r"(?:person|human|agent|someone|somebody|representative|rep|people|operator|staff|manager|advisor|adviser)s?"
    r"|(?:real|actual|live)\s+(?:person|human|agent)|human\s+(?:please|agent|being)|customer\s+service\s+agent"
    r"|^\s*(?:agent|human|representative|operator)\s*[.!?]*\s*$"
    r"|(?:stop|not)\s+(?:talking\s+to\s+)?(?:a|the|this)\s+(?:bot|robot|machine))",
    re.IGNORECASE,
)
_HUMAN_ZH = re.compile(r"转人工|人工客服|人工服务|真人|找人工|客服人员")


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str  # "confident", "asked_for_human", "human_only_category", "negative_sentiment", "low_confidence",
    #              "ambiguous", "no_results", "unsupported", "repeated"


def wants_human(text: str) -> bool:
    return bool(_HUMAN.search(text) or _HUMAN_ZH.search(text))


def decide(*, text: str, top_similarity: float | None, confidence_floor: float, sentiment_score: float,
           negative_threshold: float, category: str = "", human_only_categories: Collection[str] = (),
           handoff_on_negative: bool = True, runner_up: float | None = None) -> Decision:
    if wants_human(text):
        return Decision("handoff", "asked_for_human")
    if category and category in human_only_categories:
        return Decision("handoff", "human_only_category")
    if handoff_on_negative and sentiment_score <= negative_threshold:
        return Decision("handoff", "negative_sentiment")
    if top_similarity is None:
        return Decision("handoff", "no_results")
    if top_similarity < confidence_floor:
        return Decision("handoff", "low_confidence")
    if runner_up is not None and top_similarity - runner_up < AMBIGUITY_MARGIN:
        return Decision("handoff", "ambiguous")
    return Decision("answer", "confident")
