"""Labels for the codes the AI records (hand-off reasons), in the reader's language."""

from __future__ import annotations

from django import template

from ai.models import reason_label

register = template.Library()


@register.filter
def ai_reason(code: str) -> str:
    return reason_label(code)
