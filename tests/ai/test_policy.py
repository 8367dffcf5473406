from __future__ import annotations

import pytest

from ai.policy import decide, is_urgent, wants_human

BASE = {"confidence": 0.8, "answer_at": 0.5, "suggest_at": 0.2, "sentiment_score": 0.0, "negative_threshold": -0.4}


@pytest.mark.parametrize("text", [
    "I want to talk to a person", "can I speak with a human please", "agent", "Connect me to a real agent!",
    "let me talk to someone", "I need a real person", "转人工", "我要人工客服", "put me through to someone please",
    "get me a manager", "can you call me back about my bill", "人工！！", "给我找个真人", "rg", "让你们经理来",
    "别让机器人回了，找人处理", "能安排专人打电话联系我吗", "麻烦给我回个电话", "请电话联系我",
])
def test_it_recognises_a_request_for_a_human(text: str) -> None:
    assert wants_human(text)
    assert decide(text=text, **BASE).reason == "asked_for_human"


@pytest.mark.parametrize("text", ["how do I add a person to my account", "what is the agent fee", "human rights",
                                  "人工智能客服能查订单吗", "运费怎么算", "客服电话是多少", "专人配送要加钱吗"])
def test_it_does_not_mistake_ordinary_questions_for_a_human_request(text: str) -> None:
    assert not wants_human(text)


def test_it_answers_suggests_or_hands_off_by_confidence() -> None:
    assert decide(text="card delivery?", **BASE).action == "answer"
    unsure = decide(text="card delivery?", **{**BASE, "confidence": 0.3})
    assert (unsure.action, unsure.reason) == ("suggest", "unsure")
    low = decide(text="card delivery?", **{**BASE, "confidence": 0.1})
    assert (low.action, low.reason) == ("handoff", "low_confidence")
    assert decide(text="x", **{**BASE, "confidence": None}).reason == "no_results"


@pytest.mark.parametrize("text", [
    "my router is sparking and there's smoke", "my dad's pendant alarm runs on this line and it's dead",
    "honestly I don't see the point in anything any more", "my ex is using the account to track me, I'm scared",
    "吃了你们送的牛肉全家上吐下泻，现在在医院", "骑手把我家老人撞倒了", "再这样我就从楼上跳下去",
    "Someone ordered phones on my account, I never made these payments!!", "等着收律师函吧，已经找好律师了！",
])
def test_safety_health_abuse_legal_and_fraud_always_go_to_a_person(text: str) -> None:
    assert is_urgent(text, sentiment_score=-0.3)
    assert decide(text=text, **{**BASE, "sentiment_score": -0.3}).reason == "urgent"


@pytest.mark.parametrize("text", [
    "Our lawyer will be in touch about the outage.", "I'm taking you to the ombudsman over this.",
    "We are going to sue if the fee stays.", "I will be reporting you to trading standards", "这事我要告你们",
    "明天就去12315投诉",
])
def test_a_calm_threat_of_legal_action_still_goes_to_a_person(text: str) -> None:
    assert is_urgent(text, sentiment_score=0.2)


@pytest.mark.parametrize("text", [
    "how do I complain to the ombudsman?", "how do I report fraud", "运费怎么算", "what does a solid red light mean",
    "how long have I got to take it to the ombudsman?", "can a lawyer see my account if I give permission",
    "怎么投诉快递员",
])
def test_calm_questions_about_complaints_or_fraud_are_not_urgent(text: str) -> None:
    assert not is_urgent(text, sentiment_score=0.0)


def test_it_hands_off_angry_customers_and_human_only_categories() -> None:
    angry = decide(text="this is a disgrace", **{**BASE, "sentiment_score": -0.8})
    assert (angry.action, angry.reason) == ("handoff", "negative_sentiment")
    calm_when_disabled = decide(text="x", handoff_on_negative=False, **{**BASE, "sentiment_score": -0.8})
    assert calm_when_disabled.action == "answer"
    fraud = decide(text="x", category="security-and-fraud", human_only_categories=["security-and-fraud"], **BASE)
    assert fraud.reason == "human_only_category"

