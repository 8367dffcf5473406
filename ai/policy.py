"""What always goes to a person, whatever the knowledge base says. Pure and unit-tested.

Order matters: a request for a human always wins (nobody should have to argue with a bot), then categories the
tenant reserves for humans, then a safety, health, legal or fraud matter, then anger. Only when none applies is the
answer left to the evidence (``ai.decision``): answer, suggest articles, or hand off when nothing fits.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

Action = Literal["answer", "suggest", "handoff"]

_HUMAN = re.compile(
    r"\b(?:(?:talk|speak|chat|connect|transfer)\w*\s+(?:me\s+)?(?:to|with)\s+(?:a|an|some|the|your|real|actual|\s)*"
    r"(?:person|human|agent|someone|somebody|representative|rep|people|operator|staff|manager|advisor|adviser)s?"
    r"|(?:real|actual|live)\s+(?:person|human|agent)|human\s+(?:please|agent|being)|customer\s+service\s+agent"
    r"|^\s*(?:agent|human|representative|operator)\s*[.!?]*\s*$"
    r"|(?:stop|not)\s+(?:talking\s+to\s+)?(?:a|the|this)\s+(?:bot|robot|machine))",
    re.IGNORECASE,
)
_HUMAN_MORE = re.compile(
    r"\b(?:put|get|transfer|pass|connect)\s+me\s+(?:through|over|to|a)\b.{0,30}?"
    r"(?:someone|somebody|person|human|agent|adviser|advisor|manager|supervisor|team)"
    r"|\b(?:speak|talk|chat)\w*\s+(?:to|with)\s+(?:a\s+)?(?:member\s+of\s+(?:your|the)\s+(?:team|staff)|consultant)"
    r"|\b(?:want|need|get)\s+(?:me\s+)?(?:a|an)\s+(?:real\s+|actual\s+)?(?:person|human|manager|supervisor)\b"
    r"|\b(?:call|ring|phone)\s+me\s+back\b|\blive\s+(?:agent|chat\s+agent|person)\b"
    r"|\b(?:somebody|someone)\s+who\s+can\s+(?:actually\s+)?(?:look|help|check)"
    r"|\bnot\s+(?:to\s+|with\s+)?an?\s+(?:bot|robot|machine|automated)"
    r"|\b(?:agent|human|person|operator|advisor|adviser)\s+(?:please|pls|plz)\b"
    # The same request in the languages customers most often fall back to.
    r"|\bhablar\s+con\s+(?:una\s+persona|un\s+agente|alguien|un\s+humano)|\bparler\s+(?:à|a)\s+(?:un\s+conseiller"
    r"|quelqu'un|une\s+personne|un\s+humain)|\bmit\s+einem\s+(?:menschen|mitarbeiter|berater)\s+sprechen"
    r"|\bporozmawia(?:ć|c)\s+z\s+(?:konsultantem|człowiekiem|kims|kimś)|\bfalar\s+com\s+(?:uma\s+pessoa|um\s+atendente)",
    re.IGNORECASE,
)
# Chinese customer service shorthand: 人工 (a person, as opposed to 智能 the bot), rg (its pinyin initials).
_HUMAN_ZH = re.compile(
    r"转人工|人工(?!智能)|真人|活人|客服小姐姐|客服人员|(?:找|叫|换|要|让).{0,4}(?:主管|经理|领导|负责人)|能做主的人"
    r"|(?:回个?电话|打个?电话给)(?:给)?我|给我(?:打|回)个?电话|(?:打?电话|专人)(?:联系|回访|跟进|对接)(?:一下)?我|"
    r"(?:安排|派|找)个?专人|(?:不想|别).{0,4}(?:机器|机器人|智能助手)|^\s*(?:rg[\s!！]*)+$",
    re.IGNORECASE,
)
# Harm, danger, a vulnerable person, self-harm, abuse: a person must take these whatever the articles say.
_URGENT = re.compile(
    r"\b(?:spark\w*|smok(?:e|ing)|on\s+fire|fire|burn(?:ing|t|ed)|flames?|electric\w*\s+shock|shock(?:ed)?|"
    r"exposed\s+wires?|danger\w*|unsafe|hazard\w*|injur\w*|hurt|bleed\w*|hospital|ambulance|a&e|"
    r"ventilator|oxygen|life\s+support|pacemaker|dialysis|(?:medical|pendant|personal)\s+alarm|telecare|"
    r"suicid\w*|kill\s+myself|end\s+(?:it|my\s+life)|self[-\s]harm|(?:don'?t|dont)\s+see\s+the\s+point|"
    r"can'?t\s+(?:cope|go\s+on)|abus\w+|stalk\w*|scared|terrified|afraid|violen\w+|domestic)\b"
    r"|医院|急诊|挂水|住院|上吐下泻|食物中毒|中毒|(?:吃|喝|用).{0,10}过敏|过敏了|过敏反应|肿了|流血|出血|划破|受伤|撞倒|撞了|骨折|动手|打人|推了我|"
    r"殴打|跳楼|跳下去|自杀|轻生|不想活|活不下去|出人命|起火|着火|冒烟|漏电|触电|爆炸",
    re.IGNORECASE,
)
# Legal threats and fraud: urgent when the customer is upset (an angry "my lawyer will..." or "payments I never
# made"); a calm "how do I complain to the ombudsman?" is an ordinary question the articles answer.
_LEGAL_OR_FRAUD = re.compile(
    r"\b(?:solicitor|lawyer|court|sue|suing|legal\s+action|ombudsman|regulator|trading\s+standards|police|"
    r"fraud\w*|scam\w*|hack(?:ed|er)|unauthori[sz]ed|identity\s+theft|never\s+made|never\s+ordered|"
    r"did(?:n'?t|\s+not)\s+(?:do|order|make|authori[sz]e)\s+th)\w*"
    r"|律师|起诉|法院|报警|警察|12315|市场监管|消协|工商|曝光|盗刷|被刷|诈骗|骗子|冒充|验证码|被盗|盗号|登不上|"
    r"没下过的单|不是我(?:下|买)的",
    re.IGNORECASE,
)

# A threat of legal action is a person's job whatever the tone: a calm "my solicitor will be in touch" is not
# answered from the complaints article. (Asking how a complaint or the ombudsman works is a question, not this.)
_LEGAL_THREAT = re.compile(
    r"\b(?:my|our)\s+(?:solicitor|lawyer|attorney|legal\s+team)s?\b|\blegal\s+action\b|\bsee\s+you\s+in\s+court\b"
    r"|\b(?:i\s+will|i'?ll|i\s+am|i'?m|we\s+will|we'?ll|we\s+are|we'?re|going\s+to|gonna)\s+(?:be\s+)?"
    r"(?:su(?:e|ing)|tak(?:e|ing)\s+(?:you|this|it|them)\s+to\s+(?:court|the\s+ombudsman)"
    r"|(?:fil|go)(?:e|ing)\s+(?:a\s+complaint\s+)?(?:with|to)\s+the\s+ombudsman|report(?:ing)?\s+you\s+to)"
    r"|我要?(?:起诉|告)你们|告你们|找律师|律师函|法庭上见|(?:去|要)(?:12315|消协|市场监管局?)(?:投诉|举报)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str  # "confident", "unsure", "asked_for_human", "human_only_category", "urgent", "negative_sentiment",
    #              "low_confidence", "no_results", "unsupported", "repeated"


def wants_human(text: str) -> bool:
    return bool(_HUMAN.search(text) or _HUMAN_MORE.search(text) or _HUMAN_ZH.search(text))


def is_urgent(text: str, sentiment_score: float) -> bool:
    """Safety, health, self-harm or abuse; a threat of legal action; or legal matters or fraud raised by an upset
    customer."""
    upset = sentiment_score < 0 or "!" in text or "！" in text or "??" in text or "？？" in text
    return bool(_URGENT.search(text) or _LEGAL_THREAT.search(text) or (upset and _LEGAL_OR_FRAUD.search(text)))


def decide(*, text: str, sentiment_score: float, negative_threshold: float, confidence: float | None,
           answer_at: float, suggest_at: float, category: str = "", human_only_categories: Collection[str] = (),
           handoff_on_negative: bool = True) -> Decision:
    """``confidence``: the estimated chance that the reader's reply is right (``ai.decision``), None when the
    knowledge base returned nothing."""
    if wants_human(text):
        return Decision("handoff", "asked_for_human")
    if category and category in human_only_categories:
        return Decision("handoff", "human_only_category")
    if is_urgent(text, sentiment_score):
        return Decision("handoff", "urgent")
    if handoff_on_negative and sentiment_score <= negative_threshold:
        return Decision("handoff", "negative_sentiment")
    if confidence is None:
        return Decision("handoff", "no_results")
    if confidence >= answer_at:
        return Decision("answer", "confident")
    if confidence >= suggest_at:
        return Decision("suggest", "unsure")
    return Decision("handoff", "low_confidence")
