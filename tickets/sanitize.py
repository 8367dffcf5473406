"""Every piece of user-supplied HTML passes through here (nh3) before it is stored or shown."""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "li", "ol", "p", "pre",
    "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}
_BLOCK_END = re.compile(r"(?i)<\s*(br\s*/?|/p|/div|/li|/tr|/h[1-6]|/blockquote)\s*>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


def clean_html(value: str) -> str:
    """Safe HTML: no scripts, styles, event handlers or javascript: links; links get rel=noopener."""
    return nh3.clean(value, tags=ALLOWED_TAGS, url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


def html_to_text(value: str) -> str:
    """Readable plain text of an HTML mail (for HTML-only messages, search and the reply quote)."""
    marked = _BLOCK_END.sub("\n", value)
    stripped = nh3.clean(marked, tags=set())
    lines = [_SPACES.sub(" ", line).strip() for line in html.unescape(stripped).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
