from __future__ import annotations

from ai.backends.generation import Turn
from ai.conversation import rejected_answers, rejects, retrieval_query


def test_a_follow_up_carries_the_earlier_question_into_retrieval() -> None:
    history = [Turn("customer", "How do I order a replacement card?"), Turn("assistant", "Go to Cards > Replace.")]
    query = retrieval_query("and how long does that take?", history)
    assert query == "How do I order a replacement card? and how long does that take?"


def test_a_self_contained_question_is_left_alone() -> None:
    history = [Turn("customer", "How do I order a replacement card?")]
    question = "What is the weekend exchange markup for currency conversion?"
    assert retrieval_query(question, history) == question


def test_it_finds_the_answers_the_customer_rejected() -> None:
    history = [
        Turn("customer", "why was my transfer declined"),
        Turn("assistant", "Transfers over the limit are declined."),
        Turn("customer", "no that's not it, I was under the limit"),
        Turn("assistant", "Check the recipient details."),
    ]
    assert rejects("that didn't help")
    assert not rejects("thanks, that helped")
    assert rejected_answers(history, "thanks") == ["Transfers over the limit are declined."]
    assert rejected_answers(history, "useless") == [
        "Transfers over the limit are declined.", "Check the recipient details."]
    # The rejection message itself is not used as retrieval context.
    assert "not it" not in retrieval_query("what about it?", history)
