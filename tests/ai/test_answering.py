"""The answering pipeline on the real packaged models (CPU) over the demo knowledge base."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ai.answering import Options, answer
from ai.backends.generation import Turn
from tests.ai import demo_corpus
from tests.stub_server import StubServer, chat_completion, stub_server

# A floor below the calibrated one (ai.decision.DEFAULT): these tests are about reading, generation, history and
# hand-off rules, not about where the calibrated threshold lies (bench/answer_quality.py measures that).
EXTRACTIVE = Options(confidence_floor=0.5)


def test_an_answerable_question_gets_a_cited_answer() -> None:
    outcome = answer(text="how much does express card delivery cost?", history=[], search=demo_corpus.search,
                     options=EXTRACTIVE)
    assert outcome.action == "answer", outcome.reason
    assert "£5" in outcome.text
    # The fees table states the same price; the delivery article must be among the cited ones.
    assert "/h/demo/cards/card-delivery-time/" in [c["url"] for c in outcome.citations]
    assert outcome.hits and outcome.latency_ms >= 0


def test_an_unanswerable_question_hands_off_with_the_sources_tried() -> None:
    outcome = answer(text="what are your current mortgage rates for a 5 year fix", history=[],
                     search=demo_corpus.search, options=Options(offer_articles=False))
    assert (outcome.action, outcome.reason) == ("handoff", "low_confidence")
    assert outcome.text == ""
    assert "mortgage" in outcome.summary and "Articles tried:" in outcome.summary
    assert outcome.sources


@pytest.mark.parametrize("text", [
    "I want to talk to a person", "how much is express delivery? let me speak to a human",
])
def test_asking_for_a_person_always_hands_off(text: str) -> None:
    outcome = answer(text=text, history=[], search=demo_corpus.search, options=EXTRACTIVE)
    assert (outcome.action, outcome.reason) == ("handoff", "asked_for_human")


def test_an_angry_customer_is_handed_off() -> None:
    outcome = answer(text="This is a disgrace, my card STILL hasn't come, worst bank ever, I am furious!!",
                     history=[], search=demo_corpus.search, options=EXTRACTIVE)
    assert (outcome.action, outcome.reason) == ("handoff", "negative_sentiment")


def test_a_follow_up_is_understood_from_the_earlier_turns() -> None:
    alone = answer(text="and how long does that take?", history=[], search=demo_corpus.search, options=Options())
    assert alone.query == "and how long does that take?"
    history = [Turn("customer", "How do I order a replacement card?"), Turn("assistant", "Go to Cards.")]
    outcome = answer(text="and how long does that take?", history=history, search=demo_corpus.search,
                     options=EXTRACTIVE)
    assert outcome.query == "How do I order a replacement card? and how long does that take?"
    assert outcome.action == "answer", outcome.reason
    # Replacement cards are covered by the cards articles and by the lost-or-stolen article.
    assert outcome.citations[0]["url"].startswith(("/h/demo/cards/", "/h/demo/security-and-fraud/lost-or-stolen"))


def test_the_bot_does_not_repeat_a_rejected_answer() -> None:
    first = answer(text="how much does express card delivery cost?", history=[], search=demo_corpus.search,
                   options=EXTRACTIVE)
    history = [Turn("customer", "how much does express card delivery cost?"), Turn("assistant", first.text)]
    second = answer(text="no, that's not what I asked. how much is express delivery?", history=history,
                    search=demo_corpus.search, options=EXTRACTIVE)
    assert second.text != first.text
    if second.action == "answer":
        assert not set(second.text.split(". ")) & set(first.text.split(". "))


def test_human_only_categories_hand_off() -> None:
    options = Options(human_only_categories=("security-and-fraud",))
    outcome = answer(text="someone made payments on my card that I don't recognise", history=[],
                     search=demo_corpus.search, options=options)
    assert (outcome.action, outcome.reason) == ("handoff", "human_only_category")


@pytest.fixture
def endpoint() -> Iterator[StubServer]:
    """A real OpenAI-compatible HTTP endpoint on loopback that records what it receives."""
    with stub_server(chat_completion("Express delivery costs £5 [1].")) as server:
        yield server


def test_pii_never_reaches_the_generation_backend(endpoint: StubServer) -> None:
    history = [Turn("customer", "my email is jane.doe@example.com and my phone is +44 20 7946 0000")]
    text = "my card 4111 1111 1111 1111 - how much does express card delivery cost?"
    outcome = answer(text=text, history=history, search=demo_corpus.search,
                     options=Options(backend="openai", endpoint_url=f"{endpoint.url}/v1", model="stub",
                                     confidence_floor=0.5))
    sent = json.dumps([r.json() for r in endpoint.received])
    assert endpoint.received, "the backend was not called"
    for secret in ("4111", "jane.doe", "7946"):
        assert secret not in sent
    assert "[card number]" in sent
    assert (outcome.action, outcome.text) == ("answer", "Express delivery costs £5."), outcome.reason
    assert outcome.redacted == ["card"]


def test_a_generated_answer_the_sources_do_not_support_is_withheld(endpoint: StubServer) -> None:
    endpoint.reply = chat_completion("Express delivery is free and takes 30 minutes by drone [1].")
    outcome = answer(text="how much does express card delivery cost?", history=[], search=demo_corpus.search,
                     options=Options(backend="openai", endpoint_url=f"{endpoint.url}/v1", model="stub",
                                     confidence_floor=0.5))
    assert (outcome.action, outcome.reason) == ("handoff", "unsupported")
