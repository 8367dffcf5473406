r"""PII redaction applied to every text before it reaches a generation backend (and to traces).

Card numbers are matched as 13-19 digits (spaces or dashes allowed) that pass the Luhn check, and Chinese resident
identity card numbers as 18 characters with a valid GB 11643-1999 check character and birth date, so order numbers
and amounts survive; emails and phone numbers are matched by shape. Replacements are typed placeholders so the
model still knows something was there.

Chinese text has no spaces between words and Python counts CJK characters as ``\w``, so the Chinese rules are
bounded by digit look-arounds, never ``\b`` ("手机号13812345678，谢谢").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

_CARD = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
# International (+44 20 7946 0000) or national (020 7946 0000, (555) 123-4567) numbers with 9-15 digits.
# Never followed by ":" and a digit: "2024-05-12 21:00" is a date and a time, not a phone number.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]?\d{2,5}){1,4}(?!\w|:\d)"
)
# 居民身份证号: 6-digit region, YYYYMMDD birth date, 3-digit sequence, check character (often written 6 8 4).
_CN_ID = re.compile(r"(?<!\d)(\d{6}) ?(\d{8}) ?(\d{3}[\dXx])(?![\dA-Za-z])")
_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Mainland mobile: 1[3-9] and 9 more digits, maybe +86 / 86 / 0086 first, maybe written 3-4-4.
_CN_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
# Landlines with their area code (010-12345678, (0755)1234567) and 400/800 service numbers (400-820-0000).
_CN_LANDLINE = re.compile(r"(?<![\d+])(?:(?:\(0\d{2,3}\)|0\d{2,3}-)\d{7,8}|[48]00[\s-]?\d{3}[\s-]?\d{4})(?!\d)")


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


def cn_id_valid(number: str) -> bool:
    """GB 11643-1999: the 18th character is the check character of the first 17, and the birth date is real."""
    if not re.fullmatch(r"\d{17}[\dXx]", number):
        return False
    checksum = sum(int(digit) * weight for digit, weight in zip(number[:17], _CN_ID_WEIGHTS, strict=True))
    if "10X98765432"[checksum % 11] != number[17].upper():
        return False
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    if not 1900 <= year <= 2099:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


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

    def cn_id(match: re.Match[str]) -> str:
        if cn_id_valid("".join(match.groups())):
            kinds.append("cn_id")
            return "[ID number]"
        return match.group(0)

    # Emails first: a mobile number is a common mailbox name (13812345678@163.com). Chinese IDs and mobiles before
    # cards, whose wider digit pattern would otherwise take them (or an ID's 17 digits without its X).
    text = _EMAIL.sub(replace("email", "[email]"), text)
    text = _CN_ID.sub(cn_id, text)
    text = _CN_MOBILE.sub(replace("phone", "[phone]"), text)
    text = _CN_LANDLINE.sub(replace("phone", "[phone]"), text)
    text = _CARD.sub(card, text)
    text = _IBAN.sub(replace("iban", "[account number]"), text)

    def phone(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if 9 <= len(digits) <= 15:
            kinds.append("phone")
            return "[phone]"
        return match.group(0)

    text = _PHONE.sub(phone, text)
    return Redacted(text, sorted(set(kinds)))
