"""Sentiment for English (VADER) and Chinese (a small lexicon with negation and intensifiers).

Both run offline in microseconds. VADER is a well-validated rule-based model for short informal text. For Chinese
we chose a lexicon over a model because no small offline Chinese sentiment model is packaged here; the lexicon
covers the complaints a help desk actually sees (anger, disappointment, threats to leave) and is checked by tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

NEGATIVE_THRESHOLD = -0.4

Label = Literal["negative", "neutral", "positive"]

_ZH_NEGATIVE = {
    "生气": 2, "愤怒": 3, "气死": 3, "垃圾": 3, "太差": 3, "很差": 2, "差劲": 2, "糟糕": 2, "失望": 2, "骗子": 3,
    "骗": 2, "投诉": 2, "退款": 1, "不满": 2, "烦": 1, "恶心": 3, "无语": 2, "坑": 2, "废物": 3, "什么破": 3,
    "受够": 3, "滚": 3, "慢死": 2, "太慢": 2, "不行": 1, "问题": 1, "错误": 1, "丢失": 2, "被盗": 2, "盗刷": 3,
    "冻结": 1, "不能用": 2, "用不了": 2, "无法": 1, "失败": 1, "不给": 1, "拒绝": 1, "着急": 1, "急": 1,
    "难用": 2, "可恶": 3, "离谱": 2, "荒唐": 2, "气愤": 3, "崩溃": 2, "销户": 2, "再也不": 3, "太过分": 3,
}
_ZH_POSITIVE = {
    "谢谢": 2, "感谢": 2, "好": 1, "很好": 2, "满意": 2, "方便": 1, "喜欢": 2, "棒": 2, "不错": 2, "完美": 3,
    "解决了": 2, "快": 1, "专业": 2, "耐心": 2, "优秀": 3, "赞": 2, "开心": 2, "高兴": 2,
}
_ZH_NEGATIONS = ("不", "没", "没有", "别", "未", "非")
_ZH_INTENSIFIERS = ("太", "非常", "特别", "真", "超", "极其", "十分")


@dataclass(frozen=True)
class Sentiment:
    score: float  # -1 (very negative) .. 1 (very positive)
    label: Label


def _label(score: float) -> Label:
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    return "positive" if score >= 0.4 else "neutral"


@cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def english(text: str) -> Sentiment:
    score = float(_vader().polarity_scores(text)["compound"])
    # Shouting and repeated exclamation marks carry anger that VADER's compound underweights in support text.
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7 and score < 0.2:
        score = min(score, -0.5)
    return Sentiment(round(score, 3), _label(score))


def chinese(text: str) -> Sentiment:
    total = 0.0
    for lexicon, sign in ((_ZH_NEGATIVE, -1.0), (_ZH_POSITIVE, 1.0)):
        for word, weight in lexicon.items():
            for match in re.finditer(re.escape(word), text):
                before = text[max(0, match.start() - 3):match.start()]
                value = sign * weight
                if any(before.endswith(n) for n in _ZH_NEGATIONS) and not word.startswith(_ZH_NEGATIONS):
                    value = -value * 0.5
                if any(i in before for i in _ZH_INTENSIFIERS):
                    value *= 1.5
                total += value
    total -= 0.5 * (text.count("\uff01") + text.count("!")) if total < 0 else 0.0
    # Squash like VADER's compound so both languages share one scale and one threshold.
    score = total / (abs(total) + 3.0) if total else 0.0
    return Sentiment(round(score, 3), _label(score))


def analyse(text: str, *, language: str = "") -> Sentiment:
    if language == "zh" or (not language and re.search(r"[\u4e00-\u9fff]", text)):
        return chinese(text)
    return english(text)
