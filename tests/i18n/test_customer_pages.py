"""The customer side speaks the tenant's language: help center, chat page and widget, portal, the JavaScript
catalogue and the e-mails customers receive. English tenants stay English."""

from __future__ import annotations

import json
from typing import cast

import pytest
from django.test import Client
from django.utils import translation
from playwright.sync_api import expect

from chat import services as chat_services
from chat.models import ChatMessage, Conversation
from tenants.models import Tenant
from tenants.rls import tenant_context
from tests.factories import ArticleFactory, CategoryFactory, ConversationFactory
from tickets import portal, services
from tickets.mail import outbound
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

# English words of the customer pages' own chrome that a Chinese page must not show.
ENGLISH_HELPCENTER = ["Help Center", "Search help articles", "Describe your question", "How can we help?"]
ENGLISH_ARTICLE = ["Was this article helpful?", "Anything we should add?", "Updated "]
ENGLISH_CHAT = ["Chat with us", "Support chat", "Start chat", "Type your message", "Talk to a human",
                "Send rating", "Start a new chat", "How did we do?", "Agent is typing"]
ENGLISH_PORTAL = ["Your requests", "New request", "Email me a link", "Or send us a new request"]


@pytest.fixture
def chinese(acme: Tenant) -> Tenant:
    acme.settings = {"language": "zh-hans"}
    acme.save()
    return acme


def _ticket(tenant: Tenant) -> Ticket:
    with tenant_context(tenant.id):
        return services.ticket_create(tenant=tenant, subject="Card declined", body="My card was declined.",
                                      channel="web", requester_email="kim@example.test", requester_name="Kim")


def _page(client: Client, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en")  # the browser's language does not matter
    assert response.status_code == 200, url
    return response.content.decode()


def _absent(page: str, words: list[str]) -> None:
    shown = [word for word in words if word in page]
    assert not shown, f"English left on a Chinese page: {shown}"


class TestHelpCenter:
    def test_a_chinese_tenants_help_center_is_in_chinese(self, client, chinese):
        category = CategoryFactory(tenant=chinese, slug="cards", title="银行卡")
        ArticleFactory(tenant=chinese, category=category, slug="lost", title="银行卡丢失怎么办", status="published")
        home = _page(client, "/h/acme/")
        assert "帮助中心" in home and "搜索帮助文章" in home and "请描述您的问题" in home
        assert 'lang="zh-hans"' in home and "/jsi18n/?lang=zh-hans" in home
        _absent(home, ENGLISH_HELPCENTER)
        article = _page(client, "/h/acme/articles/lost/")
        assert "这篇文章对您有帮助吗？" in article and "有帮助" in article and "更新于" in article
        _absent(article, ENGLISH_HELPCENTER + ENGLISH_ARTICLE)
        category_page = _page(client, "/h/acme/categories/cards/")
        assert "帮助中心" in category_page
        _absent(category_page, ENGLISH_HELPCENTER)

    def test_search_is_in_chinese(self, client, chinese):
        page = _page(client, "/h/acme/search/?q=zzzqqq")
        assert "未找到与“zzzqqq”相关的结果" in page and "浏览文章分类" in page
        _absent(page, [*ENGLISH_HELPCENTER, "No results", "browse the categories"])

    def test_an_english_tenant_stays_english(self, client, acme):
        ArticleFactory(tenant=acme, slug="lost", status="published")
        page = _page(client, "/h/acme/")
        assert "Search help articles" in page and "帮助中心" not in page
        article = _page(client, "/h/acme/articles/lost/")
        assert "Was this article helpful?" in article and "有帮助" not in article


class TestChat:
    def test_the_chat_page_is_in_chinese_and_loads_the_chinese_catalogue(self, client, chinese):
        page = _page(client, "/c/acme/")
        assert "转人工" in page and "开始咨询" in page and "请输入消息…" in page and "提交评价" in page
        assert "/jsi18n/?lang=zh-hans" in page
        assert page.index("/jsi18n/") < page.index("js/chat-page.js")  # gettext() exists before the page's script
        _absent(page, ENGLISH_CHAT)

    def test_the_widget_script_is_in_the_tenants_language(self, client, chinese):
        script = _page(client, "/c/acme/widget.js")
        assert "在线咨询" in script and "Acme Inc. 在线客服" in script
        assert 'var lang = "zh\\u002Dhans"' in script  # the chat it opens is asked for in the same language
        assert '"Chat"' not in script and "Chat with" not in script

    def test_an_english_tenants_chat_stays_english(self, client, acme):
        assert "Talk to a human" in _page(client, "/c/acme/")
        script = _page(client, "/c/acme/widget.js")
        assert '"Chat"' in script and "Chat with Acme Inc." in script

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True)
    def test_the_chat_pages_script_speaks_chinese(self, browser, asgi_server, chinese):
        page = browser.new_context(locale="en-US").new_page()
        page.goto(f"{asgi_server}/c/acme/")
        page.fill("#id_name", "王小明")
        page.fill("#id_email", "xiaoming@example.test")
        page.click("#prechat-form button[type=submit]")
        expect(page.locator("#chat-state")).to_have_text("智能助手")  # gettext() of the Chinese catalogue
        page.click("#human")
        expect(page.locator("#chat-state")).to_have_text("正在为您转接人工客服…")
        expect(page.locator("#messages")).to_contain_text("正在为您转接人工客服，请稍候。")  # the server's notice

    def test_the_switcher_shows_on_the_chat_page_when_the_tenant_offers_more_languages(self, client, chinese):
        assert 'name="language"' not in _page(client, "/c/acme/")
        chinese.settings = {"language": "zh-hans", "languages": ["en"]}
        chinese.save()
        assert 'name="language"' in _page(client, "/c/acme/")
        assert 'name="language"' not in _page(client, "/c/acme/?embed=1&lang=zh-hans")  # the widget's frame


class TestPortal:
    def test_the_portal_pages_are_in_chinese(self, client, chinese, alice):
        signin = _page(client, "/h/acme/portal/")
        assert "我的工单" in signin and "发送链接到我的邮箱" in signin
        _absent(signin, ENGLISH_PORTAL)
        new = _page(client, "/h/acme/portal/new/")
        assert "有什么可以帮您？" in new and "提交工单" in new
        _absent(new, [*ENGLISH_PORTAL, "How can we help?", "Send request"])
        thanks = client.post("/h/acme/portal/new/", {"name": "Pat", "email": "pat@example.test",
                                                     "subject": "Help", "body": "Please"}).content.decode()
        assert "我们已收到您的工单" in thanks and "Thank you" not in thanks
        ticket = _ticket(chinese)
        with tenant_context(chinese.id):
            client.get(f"/h/acme/portal/?token={portal.portal_token(tenant=chinese, customer=ticket.requester)}")
        listing = _page(client, "/h/acme/portal/")
        assert "我的工单" in listing and "提交时间" in listing
        _absent(listing, [*ENGLISH_PORTAL, "Opened"])
        detail = _page(client, f"/h/acme/portal/{ticket.id}/")
        assert "您" in detail and "发送" in detail
        _absent(detail, ["Your requests", ">You<", ">Send<"])
        with tenant_context(chinese.id):
            services.ticket_set_status(tenant=chinese, ticket=ticket, status="solved", actor=alice)
        assert "评价我们的回复" in _page(client, f"/h/acme/portal/{ticket.id}/")
        rate = _page(client, f"/h/acme/portal/{ticket.id}/rate/")
        assert f"请对工单 #{ticket.number} 的处理进行评价" in rate and "提交评价" in rate
        _absent(rate, ["How did we do", "Send rating"])

    def test_an_english_tenants_portal_stays_english(self, client, acme):
        page = _page(client, "/h/acme/portal/")
        assert "Your requests" in page and "我的工单" not in page


class TestSwitcher:
    def test_it_switches_to_english_when_the_tenant_offers_it(self, client, chinese):
        chinese.settings = {"language": "zh-hans", "languages": ["en"]}
        chinese.save()
        home = _page(client, "/h/acme/")
        assert 'name="language"' in home and "帮助中心" in home
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/h/acme/"})
        assert response.status_code == 302 and response["Location"] == "/h/acme/"
        page = _page(client, "/h/acme/")
        assert "Search help articles" in page and "搜索帮助文章" not in page

    def test_a_language_the_tenant_does_not_offer_is_ignored(self, client, chinese):
        assert 'name="language"' not in _page(client, "/h/acme/")  # one language: no switcher
        client.post("/i18n/setlang/", {"language": "en", "next": "/h/acme/"})
        assert "搜索帮助文章" in _page(client, "/h/acme/")
        client.post("/i18n/setlang/", {"language": "fr", "next": "/h/acme/"})  # not one of the site's languages
        assert "搜索帮助文章" in _page(client, "/h/acme/")


def test_the_javascript_catalogue_has_the_chinese_words(client):
    response = client.get("/jsi18n/?lang=zh-hans")
    assert response.status_code == 200
    body = response.content.decode()
    for word in ["正在重新连接…", "智能助手", "对话已结束", "文件发送失败。"]:
        assert word in body or json.dumps(word)[1:-1] in body, word
    english = client.get("/jsi18n/?lang=en").content.decode()
    assert "智能助手" not in english and json.dumps("智能助手")[1:-1] not in english


class TestEmails:
    def test_a_chinese_tenants_customer_emails_are_in_chinese(self, chinese):
        ticket = _ticket(chinese)
        with tenant_context(chinese.id), translation.override("en"):  # whatever runs it (a worker, an agent's page)
            csat = outbound.csat_email(tenant=chinese, ticket=ticket, rate_url="https://x.test/rate")
            link = outbound.portal_link_email(tenant=chinese, customer=ticket.requester, url="https://x.test/p")
        assert csat.subject.startswith("满意度评价：") and "Card declined" in csat.subject
        assert "Kim，您好" in csat.body and "https://x.test/rate" in csat.body and "How did we do" not in csat.body
        assert link.subject == "您的 Acme Inc. 工单查询链接" and "7 天内有效" in link.body

    def test_an_english_tenants_customer_emails_stay_english(self, acme):
        ticket = _ticket(acme)
        with tenant_context(acme.id), translation.override("zh-hans"):
            csat = outbound.csat_email(tenant=acme, ticket=ticket, rate_url="https://x.test/rate")
            link = outbound.portal_link_email(tenant=acme, customer=ticket.requester, url="https://x.test/p")
        assert csat.subject.startswith("How did we do?") and csat.body.startswith("Hello Kim,")
        assert link.subject == "Your Acme Inc. support link"


class TestChatSystemLines:
    def test_the_customer_reads_the_conversations_events_in_the_tenants_language(self, chinese, bob,
                                                                                  django_capture_on_commit_callbacks):
        with tenant_context(chinese.id):
            conversation = cast(Conversation, ConversationFactory(tenant=chinese))
            with django_capture_on_commit_callbacks(execute=False):
                chat_services.handoff(tenant=chinese, conversation=conversation, summary="?", sources=[],
                                      reason="asked")
                chat_services.agent_take_over(tenant=chinese, conversation=conversation, agent=bob)
                chat_services.close(tenant=chinese, conversation=conversation, actor=bob, resolved=True)
            shown = [m.text for m in ChatMessage.objects.filter(conversation=conversation, internal=False)
                     .order_by("seq")]
        assert shown == ["正在为您转接人工客服，请稍候。", "客服 Bob 已加入对话。", "Bob 已结束对话。"]

    def test_a_language_detected_from_the_customer_wins(self, chinese, bob, django_capture_on_commit_callbacks):
        with tenant_context(chinese.id):
            conversation = cast(Conversation, ConversationFactory(tenant=chinese, language="en"))
            with django_capture_on_commit_callbacks(execute=False):
                chat_services.agent_take_over(tenant=chinese, conversation=conversation, agent=bob)
            [line] = ChatMessage.objects.filter(conversation=conversation, internal=False).values_list("text",
                                                                                                      flat=True)
        assert line == "Bob joined the chat."
