"""Word segmentation for full-text search over Chinese text.

PostgreSQL's default text-search parser splits words at spaces and punctuation; Chinese is written without spaces,
so a whole Chinese sentence would become one "word" that no question ever matches. jieba segments runs of Han
characters into words, and both sides use it: the index gets the text with spaces between the words (the
``english`` configuration keeps non-ASCII words as they are, neither stemmed nor dropped as stop words), and a
question becomes a list of words for ``to_tsquery``. Everything else (English words, numbers, punctuation) is left
as it is, so English search behaves exactly as before: PostgreSQL stems it and removes its stop words itself.

jieba builds its dictionary on first use (about a second), so it is loaded lazily and once per process, only by
processes that meet Chinese text.
"""

from __future__ import annotations

import re

from ai.backends.text import jieba_module

# Han ideographs (CJK Unified Ideographs, Extension A, compatibility ideographs, Extensions B and later).
HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
WORD = re.compile(r"\w+", re.UNICODE)

# Function words and conversational filler that say nothing about the topic of a question. Single characters need
# no entry: query_terms drops every one-character Han word.
_STOP_WORDS = (
    "怎么 怎么样 怎样 什么 为什么 为啥 可以 能否 能不能 可不可以 是不是 有没有 一下 请问 你好 您好 谢谢 麻烦 "
    "我们 你们 他们 她们 它们 咱们 自己 这个 那个 这些 那些 这样 那样 这里 那里 这边 那边 这儿 那儿 哪里 哪儿 "
    "如何 多少 几个 还是 或者 而且 但是 不过 因为 所以 如果 的话 然后 已经 就是 一个 一些 一直 现在 时候 "
    "没有 不是 需要 应该 想要 知道 还有 还能 是否"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())


def _split_han(text: str, *, separator: str, overlapping: bool) -> str:
    if not HAN_RUN.search(text):
        return text
    jieba = jieba_module()

    def words(match: re.Match[str]) -> str:
        run = match.group()
        cut = jieba.cut_for_search(run) if overlapping else jieba.cut(run)
        return separator + separator.join(word for word in cut if word.strip()) + separator

    return HAN_RUN.sub(words, text)


def index_text(text: str) -> str:
    """The string PostgreSQL should index for ``text``: each run of Han characters becomes its words, separated
    by spaces, with the shorter words inside long ones too ("会员卡" gives "会员" and "会员卡"), so
    that a question that cuts a phrase differently still meets it. Text without Han characters comes back unchanged
    and never loads jieba."""
    return _split_han(text, separator=" ", overlapping=True)


def segment(text: str, *, separator: str = " ") -> str:
    """``text`` with ``separator`` between the words of each run of Han characters (and around the run). The words
    do not overlap, so removing the separator gives the text back, e.g. after ``ts_headline`` has marked words."""
    return _split_han(text, separator=separator, overlapping=False)


def query_terms(query: str, *, limit: int) -> list[str]:
    """The distinct words of a question worth searching for, lower-cased, at most ``limit``.

    Han runs are segmented, dropping one-character words and STOP_WORDS; other words pass as they are (PostgreSQL
    drops English stop words). Every term is a run of word characters, so it is safe in ``to_tsquery`` syntax.
    """
    terms: list[str] = []
    for word in WORD.findall(query.lower()):
        for part in WORD.findall(index_text(word)):
            if HAN_RUN.fullmatch(part):
                if len(part) > 1 and part not in STOP_WORDS:
                    terms.append(part)
            elif part.strip("_"):
                terms.append(part)
    return list(dict.fromkeys(terms))[:limit]


def bigram_text(text: str) -> str:
    """``text`` for a search that filters (the ticket queue): each run of Han characters becomes its overlapping
    character pairs and its last character ("还没到" gives "还没 没到 到"), the rest stays as it is.

    A filter must not lose a document because jieba cut it differently in its sentence than in the query (it keeps
    "没到" whole in "我的快递三天了还没到" but splits a query "没到" into "没", "到"). Pairs need no dictionary:
    every substring of two or more characters is found by its pairs, and every single character starts a pair
    or ends its run, so a prefix match finds it (bigram_terms)."""
    def pairs(match: re.Match[str]) -> str:
        run = match.group()
        return " " + " ".join([run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]]) + " "

    return HAN_RUN.sub(pairs, text)


def bigram_terms(query: str) -> list[str]:
    """The ``to_tsquery`` terms, all required, that find the Han text of ``query`` in a ``bigram_text`` index.

    jieba splits the query into words; neighbouring one-character words join again ("快递没到" gives "快递" and
    "没到", and so also finds "快递三天了还没到"). A part of two or more characters becomes its pairs, a single
    character a prefix match. Each term is Han characters (and ``:*``), so it is safe in ``to_tsquery`` syntax."""
    terms: list[str] = []
    for run in HAN_RUN.findall(query):
        parts: list[str] = []
        single = False  # parts[-1] is made of one-character words
        for word in segment(run).split():
            if len(word) == 1 and single:
                parts[-1] += word
            else:
                parts.append(word)
            single = len(word) == 1
        for part in parts:
            terms += [part[i:i + 2] for i in range(len(part) - 1)] if len(part) > 1 else [part + ":*"]
    return list(dict.fromkeys(terms))
