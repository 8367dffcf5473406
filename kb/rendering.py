"""Markdown to sanitized HTML, and the front matter of imported files.

Raw HTML in Markdown is not interpreted (markdown-it ``html=False``) and the output still goes through nh3, so
a script tag, an event handler or a ``javascript:`` link written by anyone ends up as inert text.
"""

from __future__ import annotations

import re
from functools import cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"},
                      "ol": {"start"}}
FRONT_MATTER = re.compile(r"\A---\s*\n(?P<meta>.*?)\n---\s*(?:\n|\Z)", re.DOTALL)


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table").enable(
        "strikethrough"
    )


def sanitize(html: str) -> str:
    return nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(source: str) -> str:
    return sanitize(_markdown().render(source))


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """``---\\nkey: value\\n---`` at the top of a file (flat keys only, as in kb/demo), then the body."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    match = FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group("meta").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip('"').strip("'")
    return meta, text[match.end():]


def parse_tags(value: str) -> list[str]:
    seen: list[str] = []
    for raw in value.split(","):
        tag = raw.strip().lower()[:40]
        if tag and tag not in seen:
            seen.append(tag)
    return seen
