"""The bot's own fixed phrases, in the customer's language (the one detected from what they wrote).

Not Django's gettext: these follow the language of the conversation, not the locale of whoever's request runs
(often a Celery worker with none). English and Simplified Chinese; any other language gets English.
"""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "handoff": {
        "en": "We're connecting you with a member of our team. They'll be with you shortly.",
        "zh": "正在为您转接人工客服，请稍候。",
    },
    "suggest_intro": {
        "en": "These articles may help:",
        "zh": "以下文章可能对您有帮助：",
    },
    "talk_to_person": {
        "en": "Talk to a person",
        "zh": "转人工客服",
    },
    "did_it_help": {
        "en": "Did this answer your question?",
        "zh": "这个回答解决您的问题了吗？",
    },
    "sources": {
        "en": "From our help center:",
        "zh": "来自帮助中心：",
    },
    "not_found": {
        "en": "I couldn't find that in our help center.",
        "zh": "抱歉，帮助中心里没有找到相关信息。",
    },
    # The conversation's own events, shown to the customer and the agents alike (str.format fields).
    "agent_joined": {
        "en": "{agent} joined the chat.",
        "zh": "客服 {agent} 已加入对话。",
    },
    "transferred_to_agent": {
        "en": "{actor} transferred the chat to {agent}.",
        "zh": "{actor} 已将对话转接给 {agent}。",
    },
    "transferred_to_team": {
        "en": "{actor} transferred the chat to the {team} team.",
        "zh": "{actor} 已将对话转接至“{team}”团队。",
    },
    "closed_by": {
        "en": "{actor} closed the conversation.",
        "zh": "{actor} 已结束对话。",
    },
    "closed": {
        "en": "The conversation was closed.",
        "zh": "对话已结束。",
    },
    "reopened_by": {
        "en": "{actor} reopened the conversation.",
        "zh": "{actor} 已重新开启对话。",
    },
}


def reply_language(detected: str, fallback: str) -> str:
    """The language to answer in: the one detected from what the customer wrote, else ``fallback`` (the tenant's
    language) when nothing was detected ("" or "und": too short, or a link)."""
    return detected if detected.strip() and detected.strip().lower() != "und" else fallback


def bot_text(key: str, language: str) -> str:
    """The phrase ``key`` for a detected language code ("zh", "zh-cn", "zh-Hans", "en", "und", "").

    An unknown key is a programming error and raises KeyError.
    """
    texts = _TEXTS[key]
    return texts["zh"] if language.strip().lower().startswith("zh") else texts["en"]
