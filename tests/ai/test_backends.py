"""The backends on the real packaged models (CPU)."""

from __future__ import annotations

import httpx
import pytest

from ai.backends import language, sentiment
from ai.backends.classifier import OOS, TextClassifier, zero_shot
from ai.backends.generation import GenerationError, GenerationRequest, Passage, generate
from ai.backends.generation import openai as openai_backend

PASSAGES = [
    Passage(title="How long does card delivery take?", text=(
        "Standard card delivery takes 3-5 business days in the UK. Express delivery costs £5 and arrives in 1-2 "
        "business days. Cards to the EEA take up to 10 business days.")),
    Passage(title="Resetting your PIN", text="You can view your PIN in the app under Cards > Show PIN."),
]


def test_language_identification_runs_offline_on_the_bundled_model() -> None:
    assert language.detect("Where is my card? I ordered it two weeks ago.").code == "en"
    assert language.detect("我的卡什么时候到？").code == "zh"
    assert language.detect("Où est ma carte bancaire ?").code == "fr"
    assert language.detect("!!!").code == "und"


def test_sentiment_in_english_and_chinese() -> None:
    assert sentiment.analyse("This is ridiculous, worst bank ever, I am furious!").label == "negative"
    assert sentiment.analyse("Thanks, that was really helpful!").label == "positive"
    assert sentiment.analyse("WHERE IS MY MONEY YOU TOOK IT THREE DAYS AGO").label == "negative"
    assert sentiment.analyse("你们太差了，气死我了！我要投诉").label == "negative"
    assert sentiment.analyse("非常感谢，问题解决了").label == "positive"
    assert sentiment.analyse("我的卡什么时候到").label == "neutral"
    assert sentiment.analyse("不错").score > 0 > sentiment.analyse("不满意").score


def test_the_extractive_backend_quotes_the_best_passage_and_cites_it() -> None:
    result = generate(GenerationRequest(question="how much is express delivery", passages=PASSAGES))
    assert "Express delivery costs £5" in result.text
    assert result.cited == [0]
    # Every quoted sentence is verbatim from the passage: nothing is invented.
    assert all(s in PASSAGES[0].text for s in result.text.split(". ") if s)


def test_the_extractive_backend_never_repeats_a_rejected_answer() -> None:
    first = generate(GenerationRequest(question="how long does card delivery take", passages=PASSAGES))
    second = generate(GenerationRequest(question="how long does card delivery take", passages=PASSAGES,
                                        rejected=[first.text]))
    assert second.text and second.text != first.text
    assert not any(sentence in second.text for sentence in first.text.split(". "))


def test_the_openai_backend_retries_then_parses_citations() -> None:
    calls: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append({"auth": request.headers.get("authorization")})
        if len(calls) == 1:
            return httpx.Response(503)
        return httpx.Response(200, json={"choices": [{"message": {"content": "Express costs £5 [1]."}}]})

    request = GenerationRequest(question="express price?", passages=PASSAGES)
    result = openai_backend.answer(request, model="m", base_url="http://llm/v1", api_key="k",
                                   transport=httpx.MockTransport(handler))
    assert (result.text, result.cited, len(calls)) == ("Express costs £5.", [0], 2)
    assert calls[0]["auth"] == "Bearer k"


def test_the_openai_backend_gives_up_with_a_clear_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(GenerationError, match="ConnectError"):
        openai_backend.answer(GenerationRequest(question="q", passages=PASSAGES), model="m", base_url="http://x",
                              transport=httpx.MockTransport(handler))


def test_a_trained_classifier_round_trips_and_flags_out_of_scope() -> None:
    texts = ["my card has not arrived", "where is my new card", "card still not delivered",
             "how do I top up", "add money to my account", "top up with apple pay"]
    labels = ["card_arrival"] * 3 + ["top_up"] * 3
    clf = TextClassifier()
    clf.fit(texts, labels)
    restored = TextClassifier.loads(clf.dumps())
    predictions = restored.predict(["when will my card come", "can I top up by bank transfer"])
    assert [p.label for p in predictions] == ["card_arrival", "top_up"]
    assert restored.predict(["when will my card come"], oos_threshold=0.999)[0].label == OOS


def test_zero_shot_matches_category_descriptions() -> None:
    descriptions = {"cards": "Ordering, delivery, activation and replacement of debit cards.",
                    "top-ups": "Adding money to your account by card, bank transfer or Apple Pay."}
    predictions = zero_shot(["my card never arrived", "how can I add money"], descriptions)
    assert [p.label for p in predictions] == ["cards", "top-ups"]


@pytest.mark.slow
def test_the_packaged_smollm2_gguf_generates_an_answer_from_the_passages() -> None:
    result = generate(GenerationRequest(question="How much does express card delivery cost?", passages=PASSAGES,
                                        max_new_tokens=48), backend="transformers")
    assert result.backend == "transformers" and result.model.endswith(".gguf")
    # A 135M model is weak; what we require is that it ran, produced text or declined, and cited a real passage.
    assert result.cited in ([], [0], [1], [0, 1], [1, 0])
