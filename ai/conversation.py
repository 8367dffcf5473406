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
from ai.backends.text import has_cjk

_FOLLOW_UP = re.compile(
    r"^\s*(?:and|also|but|what about|how about|so|then|ok(?:ay)?|what if)\b"
    r"|\b(?:that|this|it|those|these|they|them|there|one)\b",
    re.IGNORECASE,
)
# Chinese follow-ups lean on the earlier turn with 那/那么 ("then"), 还有/另外 ("and"), 如果/要是 ("what if") or a
# pronoun; and a Chinese message has no spaces to count words by, so its length is counted in characters.
_FOLLOW_UP_ZH = re.compile(
    r"^\s*(?:那|还有|另外|如果|要是|然后|还|再|可是|但是|所以)|这个|那个|它|这样|那样|这种|那种|上面"
)
SHORT_MESSAGE_CHARS = 12
_REJECTION = re.compile(
    r"^\s*(?:no|nope|nah|wrong)\b|\b(?:not what i (?:asked|meant|need)|doesn'?t help|didn'?t help|not helpful"
    r"|that'?s not it|not (?:my|the) (?:question|problem)|doesn'?t answer|didn'?t answer|useless)\b"
    r"|^\s*(?:不是|不对|错了)|答非所问|没用|没有帮助|不是我(?:要|想)问的",
    re.IGNORECASE,
)
SHORT_MESSAGE_WORDS = 4


def is_follow_up(text: str) -> bool:
    if has_cjk(text):
        return len(text.strip()) <= SHORT_MESSAGE_CHARS or bool(_FOLLOW_UP_ZH.search(text))
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
