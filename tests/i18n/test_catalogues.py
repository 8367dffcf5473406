"""The gettext catalogues: complete in every language, compilable, up to date with the code, and used by the pages."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tenants.models import Tenant, User
from tenants.urls_helpers import tenant_reverse
from tests.factories import ArticleFactory, TicketFactory

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("zh_Hans", "en")
DOMAINS = ("django", "djangojs")
CATALOGUES = [ROOT / "locale" / lang / "LC_MESSAGES" / f"{domain}.po" for lang in LANGUAGES for domain in DOMAINS
              if (ROOT / "locale" / lang / "LC_MESSAGES" / f"{domain}.po").exists()]
SOURCES = ("templates", "tenants", "tickets", "kb", "chat", "ai", "helpdesk", "static")


def entries(path: Path) -> list[dict[str, object]]:
    """A plain .po reader: each entry's flags, msgctxt, msgid(_plural) and msgstr(s), obsolete ones left out."""
    found: list[dict[str, object]] = []
    current: dict[str, object] = {}
    key = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip() or (line.startswith("#") and key):
            if "msgid" in current:
                found.append(current)
            current, key = {}, ""
        if line.startswith("#,"):
            current["flags"] = line[2:].replace(" ", "").split(",")
        elif line.startswith(("msgctxt", "msgid", "msgstr")):
            key, _space, literal = line.partition(" ")
            current[key] = ast.literal_eval(literal)
        elif line.startswith('"') and key:
            current[key] = str(current[key]) + ast.literal_eval(line)
    return [e for e in found if e["msgid"]]  # the header has an empty msgid


def missing(path: Path) -> list[str]:
    problems = []
    for entry in entries(path):
        msgstrs = [value for name, value in entry.items() if name.startswith("msgstr")]
        if "fuzzy" in entry.get("flags", []) or not msgstrs or not all(msgstrs):  # type: ignore[operator]
            problems.append(str(entry["msgid"]))
    return problems


def test_there_are_catalogues() -> None:
    assert ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po" in CATALOGUES
    assert ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po" in CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_entry_is_translated_and_not_fuzzy(path: Path) -> None:
    assert missing(path) == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_it_compiles(path: Path) -> None:
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, str(path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_the_catalogue_is_up_to_date(tmp_path: Path) -> None:
    """makemessages, run on a copy of the catalogue, finds no message that the catalogue lacks.

    It runs in a scratch directory that links to the sources (--symlinks), so it writes only the copy."""
    for name in SOURCES:
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    command = [sys.executable, str(ROOT / "manage.py"), "makemessages", "--symlinks", "-l", "zh_Hans", "-d", "django",
               "--ignore=static/*"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    fresh = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    assert missing(fresh) == [], "run makemessages and translate the new messages"


ENGLISH_UI = ["Sign out", ">Settings<", ">Tickets<", ">Knowledge base<", ">Save<", ">Dashboard<", ">Members<",
              "Your profile", ">Status<", ">Priority<"]


@pytest.fixture
def chinese(alice: User, bob: User) -> tuple[User, User]:
    for user in (alice, bob):
        user.language = "zh-hans"
        user.save()
    return alice, bob


@pytest.mark.django_db
def test_agent_pages_follow_the_profile_language(client: Client, acme: Tenant, chinese: tuple[User, User]) -> None:
    alice, bob = chinese
    ticket = TicketFactory.create(tenant=acme)
    ArticleFactory(tenant=acme)
    pages = [
        (bob, tenant_reverse(acme, "tickets:queue"), ["工单", "优先级", "退出登录"]),
        (bob, tenant_reverse(acme, "tickets:detail", ticket_id=ticket.id), ["工单详情", "首次响应", "发送"]),
        (bob, tenant_reverse(acme, "kb:articles"), ["知识库", "分类", "筛选"]),
        (alice, tenant_reverse(acme, "settings"), ["设置", "保存", "审计日志"]),
        (bob, reverse("profile"), ["个人资料", "保存", "修改密码"]),
    ]
    for user, url, words in pages:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'lang="zh-hans"' in html, url
        for word in words:
            assert word in html, (url, word)
        for english in ENGLISH_UI:
            assert english not in html, (url, english)
