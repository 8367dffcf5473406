"""Demo chats for ``manage.py seed_demo``, one script per conversation and one content per demo tenant
(``DEMO_CONTENT``, keyed by the tenant's slug): Northwind Bank has one waiting for an agent after the bot tried and
one closed and rated; Qingyun the same in Chinese, and one the bot answered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.urls import reverse

from chat import services
from chat.models import ChatSettings, Conversation
from tenants.models import Tenant, User
from tenants.selectors import agents_of


@dataclass(frozen=True)
class Step:
    """customer/bot/agent: a message; handoff: ``text`` is the summary; close; rate: ``score`` and ``text``."""

    kind: Literal["customer", "bot", "handoff", "agent", "close", "rate"]
    text: str = ""
    sources: tuple[tuple[str, str], ...] = ()  # (title, article slug or "" for the help center) cited or tried
    score: int = 0


@dataclass(frozen=True)
class DemoChat:
    name: str
    email: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class DemoChats:
    language: str  # of the hand-off notice the customer sees
    chats: tuple[DemoChat, ...]


ABROAD = (("Using your card abroad", ""),)
DEMO_CONTENT = {
    "demo": DemoChats(language="en", chats=(
        DemoChat("Maria Lopez", "maria.lopez@example.com", (
            Step("customer", "My card payment was declined abroad, why?"),
            Step("bot", "Card payments abroad can be declined when travel is not enabled for the card.", ABROAD),
            Step("customer", "Travel is enabled. I need a person."),
            Step("handoff", "Card declined abroad although travel is enabled; the travel article did not help.",
                 ABROAD),
        )),
        DemoChat("Tom Becker", "tom.becker@example.com", (
            Step("customer", "How do I change my PIN?"),
            Step("agent", "Any of our ATMs can change it: choose 'PIN services' after inserting the card."),
            Step("close"),
            Step("rate", "Quick answer, thanks", score=5),
        )),
    )),
    "qingyun": DemoChats(language="zh-hans", chats=(
        DemoChat("李娜", "li.na@example.com", (
            Step("customer", "洗碗机底部一直漏水，还在保修期，能派师傅来修吗？"),
            Step("bot", "在保修期内的质量问题可以免费上门维修：在青云家电app打开“我的订单”，选择该商品，点“申请售后”"
                 "并选“维修”，客服会在24小时内联系您，城区一般48小时内上门。",
                 (("报修流程与上门维修时效", "repair-request"),)),
            Step("customer", "三天前就提交了，到现在都没人联系我，帮我转人工"),
            Step("handoff", "洗碗机漏水，客户三天前已在app提交报修，至今无人联系，要求人工跟进。",
                 (("报修流程与上门维修时效", "repair-request"),)),
        )),
        DemoChat("张伟", "zhang.wei@example.com", (
            Step("customer", "退款多久到账啊，我用支付宝付的"),
            Step("bot", "退货商品入库质检通过后，退款会原路退回：微信和支付宝1到3个工作日到账，银行卡3到7个工作日。"
                 "您可以在“我的订单-退款/售后”里查看进度。", (("退款到账时间", "refund-time"),)),
        )),
        DemoChat("陈静", "chen.jing@example.com", (
            Step("customer", "积分在哪里换优惠券？"),
            Step("agent", "您好，在app“我的-积分商城”里就可以兑换优惠券。下单时也可以直接用积分抵现，100积分抵1元，"
                 "最多抵扣实付金额的20%。"),
            Step("close"),
            Step("rate", "回复很快，谢谢！", score=5),
        )),
    )),
}


def _sources(tenant: Tenant, sources: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    return [{"title": title, "url": reverse("helpcenter:article", kwargs={"tenant_slug": tenant.slug, "slug": slug})
             if slug else f"/h/{tenant.slug}/"} for title, slug in sources]


def seed(*, tenant: Tenant, stdout: Any, content: str = "demo") -> None:
    demo = DEMO_CONTENT[content]
    ChatSettings.objects.get_or_create(tenant=tenant, defaults={"allowed_origins": "http://localhost:8000"})
    if Conversation.objects.for_tenant(tenant).exists():
        stdout.write("chat: demo conversations already there")
        return
    agent = agents_of(tenant=tenant).first()
    posted, sent = 0, 0
    for chat in demo.chats:
        if agent is None and any(step.kind == "agent" for step in chat.steps):
            continue
        conversation = services.chat_start(tenant=tenant, name=chat.name, email=chat.email).conversation
        for step in chat.steps:
            conversation = _play(tenant, conversation, step, agent, demo.language, sent)
            sent += step.kind == "customer"
        posted += 1
    stdout.write(f"chat: {posted} demo conversations")


def _play(tenant: Tenant, conversation: Conversation, step: Step, agent: User | None, language: str,
          sent: int) -> Conversation:
    if step.kind == "customer":
        services.post_customer_message(tenant=tenant, conversation=conversation, text=step.text,
                                       client_msg_id=f"seed-{sent + 1}")
    elif step.kind == "bot":
        services.post_bot_reply(tenant=tenant, conversation=conversation, text=step.text,
                                citations=_sources(tenant, step.sources))
    elif step.kind == "handoff":
        return services.handoff(tenant=tenant, conversation=conversation, reason="customer_request",
                                summary=step.text, sources=_sources(tenant, step.sources), language=language)
    elif step.kind == "agent" and agent is not None:
        conversation = services.agent_take_over(tenant=tenant, conversation=conversation, agent=agent)
        services.agent_reply(tenant=tenant, conversation=conversation, agent=agent, text=step.text)
    elif step.kind == "close":
        return services.close(tenant=tenant, conversation=conversation, actor=agent, resolved=True)
    elif step.kind == "rate":
        return services.rate(tenant=tenant, conversation=conversation, score=step.score, comment=step.text)
    return conversation
