"""The three personas in Chinese, in Chromium against the real ASGI server: a customer reads a Chinese help center,
chats in Chinese and is handed to an agent; an agent whose profile says 中文 works the queue and the console; an
admin edits a Chinese article and adds its English translation. No English is left on those pages: every Latin word
on them is data (names, addresses) or a name that is not translated (SLA, AI, Markdown)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from kb import services as kb_services
from kb.models import Article, Category
from tenants.models import Tenant, User
from tenants.rls import tenant_context
from tests.factories import PASSWORD, CustomerFactory, TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Latin words a Chinese page may show: people's and companies' names, e-mail addresses, product names, and the
# language switcher's "English" (each language is named in itself).
ALLOWED = {"acme", "inc", "bob", "alice", "test", "example", "dana", "sla", "ai", "api", "markdown", "csat", "url",
           "html", "english", "zhangwei", "email", "pdf", "csv", "id", "helpdesk", "openapi", "mb", "kb", "faq", "app",
           "ip"}


def english_left(page: Page) -> set[str]:
    text = page.inner_text("body")
    words = {w.lower() for w in re.findall(r"[A-Za-z]{2,}", text)}
    return words - ALLOWED


@pytest.fixture
def chinese_acme(acme: Tenant, alice: User, bob: User) -> Tenant:
    acme.settings = {"language": "zh-hans", "languages": ["en"], "timezone": "Asia/Shanghai"}
    acme.save()
    for user in (alice, bob):
        user.language = "zh-hans"
        user.save()
    with tenant_context(acme.id):
        category = Category.objects.create(tenant=acme, title="配送与签收", slug="delivery")
        article = kb_services.article_save(tenant=acme, author=alice, title="配送时效", slug="peisong",
                                           body="## 配送时效\n\n订单在三个工作日内送达，偏远地区五天。",
                                           category=category, locale="zh-hans", enqueue_index=False)
        kb_services.article_publish(tenant=acme, article=article, enqueue_index=False)
        TicketFactory(tenant=acme, subject="快递三天了还没到", requester=CustomerFactory(tenant=acme, name="张伟",
                                                                                   email="zhangwei@example.test"))
    return acme


def _sign_in(page: Page, server: str, email: str, next_path: str) -> None:
    page.goto(f"{server}/accounts/login/?next={next_path}")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_a_customer_reads_the_help_center_and_chats_in_chinese(browser: Browser, asgi_server: str,
                                                               chinese_acme) -> None:
    page = browser.new_context(locale="en-US").new_page()  # the tenant's language, whatever the browser's
    page.goto(f"{asgi_server}/h/acme/")
    expect(page.locator("body")).to_contain_text("配送时效")
    assert english_left(page) == set()
    page.click("text=配送时效")
    expect(page.locator("h1")).to_have_text("配送时效")
    assert english_left(page) == set()

    page.goto(f"{asgi_server}/c/acme/")
    assert english_left(page) == set()
    page.fill("#id_name", "张伟")
    page.fill("#id_email", "zhangwei@example.test")
    page.click("#prechat-form button[type=submit]")
    page.fill("#text", "我的快递三天了还没到")
    page.press("#text", "Enter")
    expect(page.locator("#messages li.customer")).to_have_count(1)
    page.click("#human")
    expect(page.locator("#chat-state")).not_to_have_text("")
    assert english_left(page) == set()


def test_an_agent_works_the_queue_and_the_console_in_chinese(browser: Browser, asgi_server: str,
                                                           chinese_acme) -> None:
    page = browser.new_context(locale="en-US").new_page()
    _sign_in(page, asgi_server, "bob@acme.test", "/t/acme/tickets/")
    expect(page.locator("body")).to_contain_text("快递三天了还没到")
    assert english_left(page) == set()
    page.click("text=快递三天了还没到")
    expect(page.locator("h1")).to_contain_text("快递三天了还没到")
    assert english_left(page) == set()
    page.goto(f"{asgi_server}/t/acme/chat/")
    expect(page.locator("#conn")).not_to_have_text("")
    assert english_left(page) == set()


def test_an_admin_edits_a_chinese_article_and_adds_its_english_translation(browser: Browser, asgi_server: str,
                                                                         chinese_acme) -> None:
    page = browser.new_context(locale="en-US").new_page()
    with tenant_context(chinese_acme.id):
        article = Article.objects.get(slug="peisong")
    _sign_in(page, asgi_server, "alice@acme.test", f"/t/acme/kb/{article.id}/")
    expect(page.locator("#id_title")).to_have_value("配送时效")
    assert english_left(page) == set()
    page.fill("#id_body", "## 配送时效\n\n订单在两个工作日内送达，偏远地区四天。")
    page.click("button[name=action][value=save]")
    expect(page.locator(".messages")).not_to_be_empty()

    page.select_option("#translate-locale", "en")
    page.click("#translations-title ~ form button[type=submit]")
    expect(page.locator("#id_locale")).to_have_value("en")
    page.fill("#id_title", "Delivery times")
    page.fill("#id_body", "## Delivery times\n\nOrders arrive within two working days; remote areas take four.")
    page.click("button[name=action][value=publish]")
    expect(page.locator("h1")).to_contain_text("Delivery times")
    with tenant_context(chinese_acme.id):
        translation = Article.objects.get(translation_of=article)
        assert translation.locale == "en" and translation.is_published
        assert Article.objects.get(id=article.id).body.endswith("偏远地区四天。")
