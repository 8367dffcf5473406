"""Multi-turn helpers: the retrieval query built from recent turns, and answers the customer rejected.

Retrieval is single-shot, so a follow-up ("and how long does that take?") must carry its topic with it: when the
new message looks like a follow-up we prepend the customer's previous message(s). A message that rejects the bot's
last answer ("no, that's not it") marks that answer so the bot never repeats it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from ai.backends.generation import Turn

_FOLLOW_UP = re.compile(
    r"^\s*(?:and|also|but|what about|how about|so|then|ok(?:ay)?|what if)\b"
    r"|\b(?:that|this|it|those|these|they|them|there|one)\b",
    re.IGNORECASE,
)
_REJECTION = re.compile(
    r"^\s*(?:no|nope|nah|wrong)\b|\b(?:not what i (?:asked|meant|need)|doesn'?t help|didn'?t help|not helpful"
    r"|that'?s not it|not (?:my|the) (?:question|problem)|doesn'?t answer|didn'?t answer|useless)\b",
    re.IGNORECASE,
)
SHORT_MESSAGE_WORDS = 4


def is_follow_up(text: str) -> bool:
    return len(text.split()) <= SHORT_MESSAGE_WORDS or bool(_FOLLOW_UP.search(text))


def rejects(text: str) -> bool:
    return bool(_REJECTION.search(text))


def retrieval_query(message: str, history: Sequence[Turn], *, turns: int = 2) -> str:
    """The current message, preceded by up to ``turns`` earlier customer messages when it is a follow-up."""
    if not is_follow_up(message):
        return message
    earlier = [t.text for t in history if t.role == "customer" and not rejects(t.text)][-turns:]
    return " ".join([*earlier, message]).strip()


def rejected_answers(history: Sequence[Turn], current: str) -> list[str]:
    """Bot answers that the customer's next message (or the current one) rejected."""
    turns = [*history, Turn("customer", current)]
    out = []
    for previous, following in itertools.pairwise(turns):
        if previous.role == "assistant" and following.role == "customer" and rejects(following.text):
            out.append(previous.text)
    return out
