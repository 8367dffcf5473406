"""PII redaction applied to every text before it reaches a generation backend (and to traces).

Card numbers are matched as 13-19 digits (spaces or dashes allowed) that pass the Luhn check, so order numbers
and amounts survive; emails and phone numbers are matched by shape. Replacements are typed placeholders so the
model still knows something was there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_CARD = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
# International (+44 20 7946 0000) or national (020 7946 0000, (555) 123-4567) numbers with 9-15 digits.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]?\d{2,5}){1,4}(?![\w])")


@dataclass
class Redacted:
    text: str
    kinds: list[str] = field(default_factory=list)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def redact(text: str) -> Redacted:
    kinds: list[str] = []

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            kinds.append("card")
            return "[card number]"
        return match.group(0)

    def replace(kind: str, placeholder: str) -> Callable[[re.Match[str]], str]:
        def inner(match: re.Match[str]) -> str:
            kinds.append(kind)
            return placeholder

        return inner

    text = _CARD.sub(card, text)
    text = _EMAIL.sub(replace("email", "[email]"), text)
    text = _IBAN.sub(replace("iban", "[account number]"), text)

    def phone(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if 9 <= len(digits) <= 15:
            kinds.append("phone")
            return "[phone]"
        return match.group(0)

    text = _PHONE.sub(phone, text)
    return Redacted(text, sorted(set(kinds)))
