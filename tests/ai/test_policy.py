from __future__ import annotations

import pytest

from ai.policy import decide, wants_human

BASE = {"top_similarity": 0.8, "confidence_floor": 0.5, "sentiment_score": 0.0, "negative_threshold": -0.4}


@pytest.mark.parametrize("text", [
    "I want to talk to a person", "can I speak with a human please", "agent", "Connect me to a real agent!",
    "let me talk to someone", "I need a real person", "转人工", "我要人工客服",
])
def test_it_recognises_a_request_for_a_human(text: str) -> None:
    assert wants_human(text)
    assert decide(text=text, **BASE).reason == "asked_for_human"


@pytest.mark.parametrize("text", ["how do I add a person to my account", "what is the agent fee", "human rights"])
def test_it_does_not_mistake_ordinary_questions_for_a_human_request(text: str) -> None:
    assert not wants_human(text)


def test_it_answers_only_above_the_confidence_floor() -> None:
    assert decide(text="card delivery?", **BASE).action == "answer"
    low = decide(text="card delivery?", **{**BASE, "top_similarity": 0.3})
    assert (low.action, low.reason) == ("handoff", "low_confidence")
    assert decide(text="x", **{**BASE, "top_similarity": None}).reason == "no_results"


def test_it_hands_off_angry_customers_and_human_only_categories() -> None:
    angry = decide(text="this is a disgrace", **{**BASE, "sentiment_score": -0.8})
    assert (angry.action, angry.reason) == ("handoff", "negative_sentiment")
    calm_when_disabled = decide(text="x", handoff_on_negative=False, **{**BASE, "sentiment_score": -0.8})
    assert calm_when_disabled.action == "answer"
    fraud = decide(text="x", category="security-and-fraud", human_only_categories=["security-and-fraud"], **BASE)
    assert fraud.reason == "human_only_category"


def test_two_articles_that_fit_equally_well_hand_off_as_ambiguous() -> None:
    assert decide(text="x", runner_up=0.79, **BASE).reason == "ambiguous"
    assert decide(text="x", runner_up=0.7, **BASE).action == "answer"
