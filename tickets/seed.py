"""Demo content for the tickets app (called by ``manage.py seed_demo`` inside the tenant's context). Idempotent.

One code path, one content per demo tenant (``DEMO_CONTENT``, keyed by the tenant's slug): Northwind Bank's tickets
come from the banking77 questions, Qingyun's are written out below in Chinese.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from tenants.models import Tenant, User
from tenants.selectors import agents_of
from tickets import services
from tickets.models import Macro, SlaPolicy, Status, Team, Ticket


def _data_file() -> Path:
    """``../shared/data/banking77/test.csv`` next to the repository (searched upwards, so worktrees find it too)."""
    for parent in Path(settings.BASE_DIR).resolve().parents:
        candidate = parent / "shared" / "data" / "banking77" / "test.csv"
        if candidate.exists():
            return candidate
    return Path(settings.BASE_DIR).parent / "shared" / "data" / "banking77" / "test.csv"


DATA = _data_file()
TICKET_COUNT = 40
TEAMS = {"Cards": ("card", "atm", "pin"), "Payments": ("transfer", "payment", "top_up", "refund", "exchange"),
         "Accounts": ("verify", "identity", "passcode", "account", "terminate")}
MACROS: list[tuple[str, str, dict[str, Any]]] = [
    ("Card on its way", "Hi {{customer_name}},\n\nYour card has been dispatched and usually arrives within 5 "
     "working days. You can track it in the app under Cards.\n\nBest regards,\n{{agent_name}}",
     {"status": "pending", "add_tags": ["card-delivery"]}),
    ("Need more details", "Hi {{customer_name}},\n\nThanks for reaching out. Could you tell us the date and the "
     "amount of the transaction, so we can look into it?\n\n{{agent_name}}", {"status": "pending"}),
    ("Solved, thanks", "Hi {{customer_name}},\n\nGlad we could help. We are marking request #{{ticket_number}} "
     "as solved; just reply if anything else comes up.\n\n{{agent_name}}", {"status": "solved"}),
]
# Customers: name, e-mail, how an agent greets them.
CUSTOMERS = [(name, name.lower().replace(" ", ".").replace("ü", "ue") + "@example.com", name.split()[0])
             for name in ["Ava Patel", "Liam Chen", "Noah Garcia", "Mia Rossi", "Lucas Müller", "Emma Dubois",
                          "Oliver Smith", "Sofia Novak", "Ethan Brown", "Isla Kowalski", "Leo Martin", "Zoe Anderson"]]


@dataclass(frozen=True)
class DemoTicket:
    subject: str
    body: str
    category: str  # its tag, and what picks its team
    solved: bool = False


@dataclass(frozen=True)
class DemoTickets:
    sla_policy: str
    teams: dict[str, tuple[str, ...]]  # team name -> words of the categories it takes
    macros: list[tuple[str, str, dict[str, Any]]]
    customers: list[tuple[str, str, str]]
    reply: str  # an agent's first answer; {greeting} is the customer's
    solved_reply: str
    tickets: Callable[[], list[DemoTicket]]


def _examples(limit: int) -> list[dict[str, str]]:
    if not DATA.exists():
        return []
    with DATA.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(77)  # the same demo every time
    return rng.sample(rows, min(limit, len(rows)))


def _banking_tickets() -> list[DemoTicket]:
    return [DemoTicket(subject=row["text"][:70].rstrip(" ?.!") or "Question", body=row["text"],
                       category=row["category"].replace("_", "-")) for row in _examples(TICKET_COUNT)]


def _team_for(category: str, teams: dict[str, Team], words_by_team: dict[str, tuple[str, ...]]) -> Team | None:
    for name, words in words_by_team.items():
        if any(word in category for word in words):
            return teams[name]
    return None


def _qingyun_tickets() -> list[DemoTicket]:
    return [DemoTicket(subject, body, category, solved) for subject, body, category, solved in [
        ("冰箱送到了，门上有一个凹痕", "昨天下午收到的双开门冰箱，当时师傅走得急没仔细看，"
         "今天发现右边门上有个硬币大小的凹痕。订单号QY20240611087，可以换一台吗？照片我已经拍好了。",
         "return-damaged", False),
        ("退款7天了还没到账", "上周三申请的退货，快递显示商家已经签收了，退款状态一直是处理中，钱是用微信付的，"
         "请问到底什么时候能退回来？", "refund", True),
        ("空调什么时候可以上门安装", "买的1.5匹挂机，今天上午已经送到了，但是还没有人联系我安装，"
         "我周六周日都在家，麻烦帮忙安排一下。", "installation", False),
        ("发票抬头开错了，能重开吗", "电子发票的抬头写成了我个人的名字，其实需要开公司抬头，税号我这边可以提供，"
         "请问怎么重新开？", "order-invoice", True),
        ("显示已签收，但我根本没收到货", "物流信息显示今天10点已签收，可我家里一直有人，也没有接到任何电话，"
         "快递柜和门卫那里都问过了，没有。", "delivery", False),
        ("洗衣机脱水时噪音特别大", "滚筒洗衣机买了八个月，最近脱水的时候哐哐响，整个阳台都在晃。"
         "还在保修期内吧？要怎么报修？", "warranty-repair", False),
        ("我的积分怎么少了1200", "今天打开app发现积分从3500变成了2300，我最近没有兑换任何东西，"
         "是不是账号被盗了？", "member-points", True),
        ("换了手机号，收不到验证码登录不了", "原来的手机号已经停用了，现在登录一直要验证码，发不到新号码上，"
         "账户里还有没用完的优惠券，怎么办？", "account-login", False),
        ("新疆喀什能配送吗？运费多少", "想买一台55寸电视寄到喀什市区，下单页面显示配送时效待定，"
         "能送吗？大概几天，要不要另外加运费？", "delivery-remote", False),
        ("货到付款可以刷卡吗", "下了个货到付款的订单，金额三千多，现金不够，请问送货师傅能刷卡或者扫码吗？",
         "order-payment", True),
        ("安装热水器收了180元辅材费", "师傅装电热水器的时候说需要换角阀和软管，收了我180块，没有给收据。"
         "这个收费标准合理吗？", "installation-fees", False),
        ("电视想换大一号的尺寸", "收到的是50寸，放到客厅觉得有点小，还没拆封，能不能换成65寸？差价我补。",
         "exchange", False),
        ("刚买完就降价了，能退差价吗", "6月3号买的扫地机器人2999元，今天看同款只要2599了，差了400块，"
         "可以申请价格保护吗？", "order-price-protection", True),
        ("实名认证一直审核不通过", "上传了三次身份证照片，都提示认证失败，照片很清楚，没有反光，不知道是什么原因。",
         "account-verification", False),
    ]]


DEMO_CONTENT = {
    "demo": DemoTickets(
        sla_policy="Standard", teams=TEAMS, macros=MACROS, customers=CUSTOMERS, tickets=_banking_tickets,
        reply="Hi {greeting}, thanks for writing. We are looking into it.",
        solved_reply="Hi {greeting}, this is sorted now. Just reply if anything else comes up.",
    ),
    "qingyun": DemoTickets(
        sla_policy="标准服务", tickets=_qingyun_tickets,
        teams={"订单与配送": ("order", "delivery"),
               "售后服务": ("return", "refund", "exchange", "warranty", "installation"),
               "会员与账户": ("member", "account")},
        macros=[
            ("商品已发货", "{{customer_name}}您好：\n\n您的商品已经发出，城市地区一般1到3天送达，可在青云家电app"
             "“我的订单”中查看物流。\n\n青云家电 {{agent_name}}", {"status": "pending", "add_tags": ["delivery"]}),
            ("请补充订单信息", "{{customer_name}}您好：\n\n感谢您的反馈。请提供订单号和商品照片，方便我们尽快为您处理。"
             "\n\n青云家电 {{agent_name}}", {"status": "pending"}),
            ("问题已解决", "{{customer_name}}您好：\n\n很高兴帮到您，工单 #{{ticket_number}} 我们先标记为已解决，"
             "如有其他问题直接回复即可。\n\n青云家电 {{agent_name}}", {"status": "solved"}),
        ],
        customers=[("刘洋", "liu.yang@example.com", "刘先生"), ("赵敏", "zhao.min@example.com", "赵女士"),
                   ("孙浩", "sun.hao@example.com", "孙先生"), ("周婷", "zhou.ting@example.com", "周女士"),
                   ("吴强", "wu.qiang@example.com", "吴先生"), ("郑丽", "zheng.li@example.com", "郑女士"),
                   ("黄志明", "huang.zhiming@example.com", "黄先生"), ("何静", "he.jing@example.com", "何女士")],
        reply="{greeting}您好，感谢您的来信，我们已经在核实处理，有进展会第一时间回复您。",
        solved_reply="{greeting}您好，您反映的问题已经处理完毕，如还有疑问直接回复这封邮件即可。",
    ),
}


def seed(*, tenant: Tenant, stdout: Any, content: str = "demo") -> None:
    demo = DEMO_CONTENT[content]
    agents: list[User] = list(agents_of(tenant=tenant))
    if not SlaPolicy.objects.for_tenant(tenant).exists():
        services.sla_policy_save(tenant=tenant, name=demo.sla_policy, targets={
            "urgent": {"first_response": 30, "resolution": 240}, "high": {"first_response": 60, "resolution": 480},
            "normal": {"first_response": 240, "resolution": 1440}, "low": {"first_response": 480, "resolution": 2880},
        })
    teams = {}
    for name in demo.teams:
        team = Team.objects.for_tenant(tenant).filter(name=name).first()
        teams[name] = team or services.team_create(tenant=tenant, name=name, member_ids=[a.id for a in agents])
    for name, body, actions in demo.macros:
        if not Macro.objects.for_tenant(tenant).filter(name=name).exists():
            services.macro_create(tenant=tenant, name=name, body=body, actions=actions)
    wanted = demo.tickets()
    existing = Ticket.objects.for_tenant(tenant).count()
    if existing >= len(wanted):
        stdout.write(f"tickets: {existing} tickets already there")
        return
    rng = random.Random(7)
    for index, item in enumerate(wanted[existing:]):
        name, email, greeting = demo.customers[index % len(demo.customers)]
        ticket = services.ticket_create(
            tenant=tenant, subject=item.subject, body=item.body, requester_name=name, requester_email=email,
            channel=rng.choice(["email", "email", "web", "api"]),
            priority=rng.choice(["low", "normal", "normal", "normal", "high", "urgent"]),
            team=_team_for(item.category, teams, demo.teams), tags=[item.category],
        )
        if agents and (index % 3 == 0 or item.solved):
            agent = agents[index % len(agents)]
            services.ticket_assign(tenant=tenant, ticket=ticket, assignee_id=agent.id, actor=agent)
            if item.solved:
                services.ticket_reply(tenant=tenant, ticket=ticket, author=agent,
                                      body=demo.solved_reply.format(greeting=greeting))
                services.ticket_set_status(tenant=tenant, ticket=ticket, status=Status.SOLVED, actor=agent)
            elif index % 2 == 0:
                services.ticket_reply(tenant=tenant, ticket=ticket, author=agent,
                                      body=demo.reply.format(greeting=greeting))
    stdout.write(f"tickets: {Ticket.objects.for_tenant(tenant).count()} demo tickets, {len(demo.teams)} teams, "
                 f"{len(demo.macros)} macros")
