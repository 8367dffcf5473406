"""Text units the reader quotes and the guard checks, in English and Chinese.

A help-center article is Markdown: prose, lists introduced by a lead-in ("To pay, you can:"), nested list items
and tables. The reader must quote something a person would write, so the unit is not a raw line: a sentence, or a
lead-in together with its list, or a table row made into a sentence. Never a fragment ending in ":".

Chinese has no spaces and ends sentences with 。！？; words come from jieba, and the support check compares
character bigrams, which need no dictionary and survive segmentation differences between question and article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# End of a sentence: Western punctuation followed by a space and a capital/digit/quote, or Chinese punctuation.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(£€$¥])|(?<=[。！？!?])\s*")
_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+•]|\d+[.)、])\s+(.*)$")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(?<![\w*])[*_]{1,2}([^*_\n]+?)[*_]{1,2}(?![\w*])")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_WORD = re.compile(r"[a-z0-9£€$¥%]+(?:[.,:]\d+)*")
NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_STOP = frozenset({
    "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as",
    "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "you", "your",
    "we", "our", "i", "me", "my", "can", "will", "would", "should", "could", "do", "does", "did", "not", "no",
    "yes", "so", "than", "then", "there", "here", "have", "has", "had", "which", "who", "what", "when", "where",
    "how", "also", "just", "into", "about", "may", "might", "must", "am", "im", "i'm", "get", "got", "any", "some",
    "much", "many", "there's", "it's", "don't", "dont", "can't", "cant", "please", "hi", "hello", "thanks", "thank",
    "their", "them", "they", "he", "she", "his", "her", "us", "up", "out", "over", "after", "before",
    "again", "more", "most", "very", "too", "only", "own", "same", "other", "such", "all", "each", "few", "both",
    "why", "whom", "because", "while", "until", "till", "between", "through", "during", "above", "below", "off",
    "under", "once", "further",
})
ZH_STOP = frozenset({
    "的", "了", "吗", "呢", "吧", "啊", "呀", "嘛", "哦", "哈", "我", "你", "您", "他",
    "她", "它", "们", "我们", "你们", "是", "在", "有", "和", "与", "及", "就", "都",
    "也", "还", "这", "那", "这个", "那个", "怎么", "怎么办", "怎样", "什么", "为什么", "为啥",
    "咋", "咋办", "可以", "能", "能不能", "可不可以", "会", "要", "想", "一下", "请问", "请",
    "麻烦", "谢谢", "你好", "一个", "如果", "但是", "因为", "所以", "而且", "或者", "还是",
    "已经", "没有", "不", "没", "么", "呗", "啦", "嗯", "哪", "哪里", "多少", "几",
    "多久", "好", "对", "又", "再", "给", "让", "被", "把", "从", "到", "对于", "关于",
    "这样", "那样", "现在", "时候", "然后", "应该", "需要",
})


@dataclass(frozen=True)
class Unit:
    """A quotable piece of an article: ``text`` as it would be shown, ``position`` its order in the passage."""

    text: str
    position: int
    is_list: bool = False
    # For a list item quoted alone: the position of the unit that quotes it with its lead-in and siblings.
    within: int | None = None


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))


@cache
def jieba_module() -> Any:
    """jieba, loaded once per process (building its dictionary takes about a second) and kept quiet."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def segment(text: str) -> list[str]:
    """Words: jieba for Chinese runs, lower-cased word characters for the rest."""
    words: list[str] = []
    position = 0
    for match in _CJK_RUN.finditer(text):
        words += _WORD.findall(text[position:match.start()].lower())
        words += [w for w in jieba_module().lcut(match.group()) if w.strip()]
        position = match.end()
    words += _WORD.findall(text[position:].lower())
    return words


def _stem(word: str) -> str:
    """Just enough stemming for overlap checks: "costs"/"cost", "delivered"/"deliver", "taking"/"tak"."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def terms(text: str) -> set[str]:
    """Content terms: stemmed English words without stop words; Chinese jieba words of two characters or more
    (no function words) and the character bigrams inside them, so that "退款" in a question meets "全额退款" in an
    article however jieba cut either."""
    out: set[str] = set()
    for word in segment(text):
        if CJK.match(word):
            if len(word) > 1 and word not in ZH_STOP:
                out.add(word)
                out.update(word[i:i + 2] for i in range(len(word) - 2 + 1) if len(word) > 2)
        elif word not in _STOP:
            out.add(_stem(word))
    return out


def bigrams(text: str) -> set[str]:
    """Character bigrams of every Chinese run: a dictionary-free way to tell whether a Chinese sentence is made
    of its sources' words (the guard's lexical check)."""
    return {run[i:i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)}


def plain(text: str) -> str:
    """Markdown inline markup removed: links keep their text, emphasis its words."""
    return _EMPHASIS.sub(r"\1", _LINK.sub(r"\1", text)).replace("`", "")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _table_row(header: list[str], cells: list[str]) -> str:
    pairs = [f"{h} {c}" if h else c for h, c in zip(header[1:], cells[1:], strict=False) if c]
    return f"{cells[0]}: {'; '.join(pairs)}."


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _ends_sentence(text: str) -> bool:
    return text[-1:] in ".!?。！？；;)）\"”'"


def _finish(text: str) -> str:
    """A list item shown inside a reply ends like a sentence."""
    text = text.rstrip(" ,，;；")
    if _ends_sentence(text):
        return text
    return text + ("。" if has_cjk(text[-1:]) else ".")


def units(text: str) -> list[Unit]:
    """Quotable units of a passage, in order: sentences of prose; a lead-in line (ending in ":" or "：", or the
    sentence before a list) with the whole list it introduces; each top-level list item with its sub-items; table
    rows as sentences. Headings are never units."""
    out: list[Unit] = []
    lines = plain(text).splitlines()
    header: list[str] = []
    i = 0

    def add(value: str, is_list: bool = False, within: int | None = None) -> None:
        value = value.strip()
        if len(value) > 3:
            out.append(Unit(value, len(out), is_list, within))

    while i < len(lines):
        line = lines[i].rstrip()
        stripped = line.strip()
        if not stripped or _HEADING.match(line):
            header = []
            i += 1
            continue
        if stripped.startswith("|"):
            cells = _cells(stripped)
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                pass
            elif not header:
                header = cells
            else:
                add(_table_row(header, cells))
            i += 1
            continue
        header = []
        item = _LIST_ITEM.match(line)
        if item is None:
            parts = split_sentences(stripped)
            following = next((ln for ln in lines[i + 1:] if ln.strip()), "")
            introduces_list = bool(_LIST_ITEM.match(following)) and parts and parts[-1][-1:] in ":："
            for part in parts[:-1] if introduces_list else parts:
                if part[-1:] not in ":：":
                    add(part)
            if introduces_list:
                i += 1
                while not lines[i].strip():
                    i += 1
                items, i = _list_block(lines, i)
                block = len(out)
                add(parts[-1] + " " + " ".join(_finish(t) for t in items), is_list=True)
                for entry in items:  # each item alone, too: often it is the whole answer
                    add(_finish(entry), within=block)
                continue
            i += 1
            continue
        items, i = _list_block(lines, i)
        for entry in items:
            add(_finish(entry))
    return out


def _list_block(lines: list[str], start: int) -> tuple[list[str], int]:
    """Top-level items of the list starting at ``start`` (each with its nested items folded in), and the index of
    the first line after the list."""
    items: list[str] = []
    base: int | None = None
    i = start
    while i < len(lines):
        match = _LIST_ITEM.match(lines[i])
        if match is None:
            if lines[i].strip() and items and lines[i].startswith(" "):  # a wrapped continuation line
                items[-1] += " " + lines[i].strip()
                i += 1
                continue
            break
        indent = len(match.group(1))
        base = indent if base is None else base
        content = match.group(2).strip()
        if indent <= base:
            items.append(content)
        elif items:
            joiner = " " if items[-1][-1:] in ":：" else ("；" if has_cjk(content[:1]) else "; ")
            items[-1] = items[-1].rstrip() + joiner + content.rstrip("。.;；")
        i += 1
    return items, i


def sentences(text: str) -> list[str]:
    """Every sentence-like unit of a passage (the guard compares an answer with these)."""
    return [u.text for u in units(text)]
