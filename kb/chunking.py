"""Split an article into search chunks by headings, with a bounded size and overlap between pieces of a section.

Each chunk keeps its heading path ("Title > Section > Subsection"), which is embedded with the text and weighted
highest in full-text search. Sections longer than ``max_chars`` are cut at paragraph, then sentence, then word
boundaries, and each piece repeats the last ``overlap`` characters of the previous one so that a fact split
across the cut is still found whole in one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 1000  # all-MiniLM-L6-v2 reads 256 word pieces, roughly 1,000 characters of English
OVERLAP = 150
SEPARATOR = " > "
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class ChunkDraft:
    ordinal: int
    heading: str
    text: str

    def embedding_input(self) -> str:
        return f"{self.heading}\n{self.text}" if self.heading else self.text


def _sections(title: str, body: str) -> list[tuple[str, str]]:
    """(heading path, section text) in document order; headings inside code fences are text."""
    path: list[tuple[int, str]] = []
    sections: list[tuple[str, str]] = []
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append((SEPARATOR.join([title, *(h for _, h in path)]), text))
        lines.clear()

    for line in body.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        flush()
        level = len(match.group(1))
        path = [(lvl, h) for lvl, h in path if lvl < level]
        path.append((level, match.group(2).strip()))
    flush()
    return sections


def _pieces(text: str, max_chars: int) -> list[str]:
    """Cut text into units no longer than max_chars, preferring paragraph, then sentence, then word boundaries."""
    if len(text) <= max_chars:
        return [text]
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        if len(paragraph) <= max_chars:
            units.append(paragraph)
            continue
        for sentence in SENTENCE_END.split(paragraph):
            while len(sentence) > max_chars:
                cut = sentence.rfind(" ", 0, max_chars)
                cut = cut if cut > 0 else max_chars
                units.append(sentence[:cut])
                sentence = sentence[cut:].lstrip()
            if sentence:
                units.append(sentence)
    return units


def _tail(text: str, size: int) -> str:
    """The last ``size`` characters, starting at a word boundary."""
    if len(text) <= size:
        return text
    tail = text[-size:]
    space = tail.find(" ")
    return tail[space + 1:] if 0 <= space < len(tail) - 1 else tail


def _pack(units: list[str], max_chars: int, overlap: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}\n\n{unit}" if current else unit
        if len(candidate) <= max_chars:
            current = candidate
            continue
        if current:
            chunks.append(current)
            carried = _tail(current, overlap)
            current = f"{carried} {unit}" if len(carried) + 1 + len(unit) <= max_chars else unit
        else:
            current = unit
    if current:
        chunks.append(current)
    return chunks


def chunk_article(*, title: str, body: str, max_chars: int = MAX_CHARS, overlap: int = OVERLAP) -> list[ChunkDraft]:
    if overlap >= max_chars:
        raise ValueError("overlap must be smaller than max_chars")
    drafts: list[ChunkDraft] = []
    sections = _sections(title, body) or [(title, title)]
    for heading, text in sections:
        for piece in _pack(_pieces(text, max_chars), max_chars, overlap):
            drafts.append(ChunkDraft(ordinal=len(drafts), heading=heading[:500], text=piece))
    return drafts
