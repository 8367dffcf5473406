from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from chat.models import ChatMessage, Conversation, Status
from kb import seed as kb_seed
from kb.models import Article, Chunk
from kb.rendering import split_front_matter
from kb.seed import DEMO_CONTENT
from tenants.models import Membership, Tenant, User
from tenants.rls import tenant_context
from tickets.models import Message, Ticket

ZH_ROOT = DEMO_CONTENT["qingyun"]
HAN = range(0x4E00, 0xA000)


def _chinese(text: str) -> bool:
    return any(ord(ch) in HAN for ch in text)


def test_every_chinese_demo_article_parses_and_every_eval_question_names_one() -> None:
    articles = sorted(ZH_ROOT.glob("*/[!_]*.md"))
    categories = sorted(ZH_ROOT.glob("*/_category.md"))
    assert len(articles) >= 30
    assert 5 <= len(categories) <= 7
    assert {a.parent for a in articles} == {c.parent for c in categories}
    for path in categories:
        meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
        assert _chinese(meta.get("title", "")) and meta.get("description"), path
    for path in articles:
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        assert path.stem.isascii(), path
        assert _chinese(meta.get("title", "")) and meta.get("tags"), path
        assert 150 <= len(body.strip()) <= 600 and _chinese(body), path
    slugs = {f"{a.parent.name}/{a.stem}" for a in articles}
    with (ZH_ROOT.parent / "eval.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["question", "article", "kind"]
        rows = list(reader)
    answered = [r for r in rows if r["article"]]
    assert len(answered) >= 40 and len(rows) - len(answered) >= 8
    for row in rows:
        assert row["kind"] in ("paraphrase", "keyword", "oos") and (row["kind"] == "oos") == (not row["article"])
        assert set(filter(None, row["article"].split("|"))) <= slugs, row


def _counts() -> dict[str, tuple[int, ...]]:
    counts: dict[str, tuple[int, ...]] = {"users": (User.objects.count(),)}
    for tenant in Tenant.objects.filter(slug__in=["demo", "qingyun"]):
        with tenant_context(tenant.id):
            counts[tenant.slug] = (
                Membership.objects.count(), Article.objects.count(), Chunk.objects.count(), Ticket.objects.count(),
                Message.objects.count(), Conversation.objects.count(), ChatMessage.objects.count(),
            )
    return counts


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.django_db
def test_seed_demo_makes_an_english_and_a_chinese_tenant_and_running_it_again_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    # The English knowledge base has its own seed test (tests/kb): one of its folders is enough here, and it halves
    # the time spent embedding.
    shutil.copytree(DEMO_CONTENT["demo"] / "cards", tmp_path / "cards")
    monkeypatch.setitem(kb_seed.DEMO_CONTENT, "demo", tmp_path)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    assert set(first) == {"users", "demo", "qingyun"}

    qingyun = Tenant.objects.get(slug="qingyun")
    assert qingyun.settings["language"] == "zh-hans" and qingyun.languages == ["zh-hans", "en"]
    assert _chinese(qingyun.name) and _chinese(qingyun.branding["welcome"])
    with tenant_context(qingyun.id):
        members = list(Membership.objects.select_related("user"))
        assert len(members) == 3 and {m.user.language for m in members} == {"zh-hans"}
        published = Article.objects.filter(status="published", locale="zh-hans")
        assert published.count() == Article.objects.count() >= 30
        assert set(Chunk.objects.values_list("article_id", flat=True)) == set(published.values_list("id", flat=True))
        tickets = list(Ticket.objects.all())
        assert tickets and all(_chinese(t.subject) for t in tickets)
        assert any(t.status == "solved" for t in tickets)
        conversations = {c.status: c for c in Conversation.objects.all()}
        assert set(conversations) == {Status.WAITING, Status.BOT, Status.CLOSED}
        assert _chinese(conversations[Status.WAITING].handoff_summary)
        assert conversations[Status.CLOSED].csat_score == 5
    assert "admin@qingyun.test" in out.getvalue() and "admin@demo.test" in out.getvalue()

    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first


def test_the_chinese_category_folders_say_their_language() -> None:
    for path in Path(ZH_ROOT).glob("*/_category.md"):
        assert split_front_matter(path.read_text(encoding="utf-8"))[0].get("language") == "zh-hans", path
