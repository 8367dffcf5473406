from __future__ import annotations

import pytest

from chat.bot_texts import _TEXTS, bot_text


@pytest.mark.parametrize("language", ["zh", "zh-cn", "zh-CN", "zh-Hans", "zh-hant", "ZH"])
def test_any_chinese_code_gets_chinese(language: str) -> None:
    assert bot_text("handoff", language) == "正在为您转接人工客服，请稍候。"
    assert bot_text("sources", language) == "来自帮助中心："


@pytest.mark.parametrize("language", ["en", "en-US", "", "und", "fr", "ja"])
def test_every_other_code_gets_english(language: str) -> None:
    assert bot_text("talk_to_person", language) == "Talk to a person"
    assert bot_text("did_it_help", language) == "Did this answer your question?"


def test_every_phrase_has_both_languages() -> None:
    for key, texts in _TEXTS.items():
        assert set(texts) == {"en", "zh"}, key
        assert all(text.strip() for text in texts.values()), key


def test_an_unknown_phrase_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        bot_text("no_such_phrase", "en")
