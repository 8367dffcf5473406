"""One article, several languages: translations linked to their original, the help center in the customer's
language with a fallback, search and the bot preferring the customer's language, import with a language per
folder or file."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ai.retrieval import kb_search
from kb import importing, selectors, services
from kb.models import Article, ArticleStatus, Category
from kb.search import SearchHit
from tenants.models import Tenant
from tenants.rls import tenant_context

pytestmark = pytest.mark.django_db

EN_BODY = "Orders arrive within three working days. Remote areas take five days."
ZH_BODY = "订单在三个工作日内送达。偏远地区需要五天。"


def _pair(tenant: Tenant, *, publish: bool = True) -> tuple[Article, Article]:
    with tenant_context(tenant.id):
        category = Category.objects.create(tenant=tenant, title="Delivery", slug="delivery")
        original = services.article_save(tenant=tenant, author=None, title="Delivery times", body=EN_BODY,
                                         slug="delivery-times", category=category, enqueue_index=False)
        translation = services.article_translation_create(tenant=tenant, author=None, article=original,
                                                          locale="zh-hans")
        translation = services.article_save(tenant=tenant, author=None, article=translation, title="配送时效",
                                            body=ZH_BODY, slug="peisong-shixiao", category=category,
                                            locale="zh-hans", enqueue_index=False)
        if publish:
            for article in (original, translation):
                services.article_publish(tenant=tenant, article=article, enqueue_index=False)
        return original, translation


@pytest.fixture
def chinese_shop(acme: Tenant) -> Tenant:
    acme.settings = {"language": "zh-hans", "languages": ["en"]}
    acme.save()
    return acme


class TestTranslations:
    def test_a_translation_joins_its_originals_group(self, acme) -> None:
        original, translation = _pair(acme, publish=False)
        assert translation.translation_of_id == original.id and translation.locale == "zh-hans"
        assert translation.group_id == original.group_id == original.id
        with tenant_context(acme.id):
            assert selectors.article_group(tenant=acme, article=original) == [translation]

    def test_one_version_per_language(self, acme) -> None:
        _, translation = _pair(acme, publish=False)
        with tenant_context(acme.id):
            with pytest.raises(ValidationError, match="already has a version"):
                services.article_translation_create(tenant=acme, author=None, article=translation, locale="zh-hans")
            with pytest.raises(ValidationError, match="already has a version"):
                services.article_save(tenant=acme, author=None, article=translation, title="x", body="y",
                                      slug=translation.slug, locale="en")

    def test_an_unknown_language_is_a_field_error(self, acme) -> None:
        with tenant_context(acme.id), pytest.raises(ValidationError) as caught:
            services.article_save(tenant=acme, author=None, title="x", body="y", locale="klingon")
        assert "locale" in caught.value.message_dict


class TestHelpCenter:
    def test_customers_see_their_languages_version_and_the_original_as_fallback(self, client, chinese_shop) -> None:
        original, _ = _pair(chinese_shop)
        with tenant_context(chinese_shop.id):
            only_english = services.article_save(tenant=chinese_shop, author=None, title="Gift cards",
                                                 body="Gift cards never expire.", slug="gift-cards",
                                                 category=original.category, enqueue_index=False)
            services.article_publish(tenant=chinese_shop, article=only_english, enqueue_index=False)
        home = client.get("/h/acme/").content.decode()
        assert "配送时效" in home and "Delivery times" not in home
        assert "Gift cards" in home  # no Chinese version: the original
        english = client.get("/h/acme/?lang=en").content.decode()
        assert "Delivery times" in english and "配送时效" not in english

    def test_a_link_to_another_languages_version_opens_the_customers_own(self, client, chinese_shop) -> None:
        _pair(chinese_shop)
        response = client.get("/h/acme/articles/delivery-times/")
        assert response.status_code == 302 and response["Location"] == "/h/acme/articles/peisong-shixiao/"
        page = client.get("/h/acme/articles/peisong-shixiao/").content.decode()
        assert 'hreflang="en"' in page and "/h/acme/articles/delivery-times/?lang=en" in page
        chosen = client.get("/h/acme/articles/delivery-times/?lang=en")
        assert chosen.status_code == 200 and "Orders arrive" in chosen.content.decode()


class TestSearch:
    def _hit(self, article_id: int, group: int, locale: str, score: float) -> SearchHit:
        return SearchHit(article_id=article_id, article_title="", article_slug="", category_slug="", url="",
                         chunk_id=article_id, heading="", text="", snippet="", score=score, vector_similarity=None,
                         fts_rank=None, locale=locale, group_id=group)

    def test_one_hit_per_group_in_the_customers_language_at_the_groups_best_rank(self) -> None:
        hits = [self._hit(1, 1, "en", 0.9), self._hit(7, 7, "en", 0.8), self._hit(2, 1, "zh-hans", 0.7)]
        chosen = selectors.in_language(hits, "zh-hans", group=lambda h: h.group_id, locale=lambda h: h.locale)
        assert [h.article_id for h in chosen] == [2, 7]
        english = selectors.in_language(hits, "en", group=lambda h: h.group_id, locale=lambda h: h.locale)
        assert [h.article_id for h in english] == [1, 7]

    @pytest.mark.slow
    def test_the_bot_reads_the_version_in_the_language_of_the_question(self, acme) -> None:
        from kb import indexing

        original, translation = _pair(acme)
        with tenant_context(acme.id):
            for article in (original, translation):
                indexing.article_index(tenant=acme, article_id=article.id)
            search = kb_search(tenant=acme)
            assert [h.article_id for h in search("偏远地区送货要几天？")][:1] == [translation.id]
            assert [h.article_id for h in search("How long does delivery take to remote areas?")][:1] == [original.id]


class TestImport:
    def test_a_folder_or_a_file_says_its_language_and_what_it_translates(self, acme) -> None:
        files = [
            (importing.PurePosixPath("delivery/_category.md"), "---\ntitle: Delivery\nlanguage: en\n---\n"),
            (importing.PurePosixPath("delivery/a-times.md"), f"---\ntitle: Delivery times\n---\n{EN_BODY}\n"),
            (importing.PurePosixPath("delivery/b-times-zh.md"),
             f"---\ntitle: 配送时效\nlanguage: zh-hans\ntranslation_of: a-times\n---\n{ZH_BODY}\n"),
            (importing.PurePosixPath("c-detected.md"), f"---\ntitle: 退货政策\n---\n{ZH_BODY}\n"),
        ]
        with tenant_context(acme.id):
            report = importing.import_files(tenant=acme, author=None, files=files, index="none")
            assert report.errors == []
            articles = {a.slug: a for a in Article.objects.for_tenant(acme)}
        assert articles["a-times"].locale == "en" and articles["a-times"].translation_of_id is None
        assert articles["b-times-zh"].locale == "zh-hans"
        assert articles["b-times-zh"].translation_of_id == articles["a-times"].id
        assert articles["c-detected"].locale == "zh-hans"  # no language given: the one it is written in
        with tenant_context(acme.id):
            again = importing.import_files(tenant=acme, author=None, files=files, index="none")
        assert again.unchanged == 3 and again.created == again.updated == 0

    def test_a_translation_of_an_unknown_article_is_reported_not_imported(self, acme) -> None:
        files = [(importing.PurePosixPath("x.md"), "---\ntitle: X\ntranslation_of: nowhere\n---\nText.\n")]
        with tenant_context(acme.id):
            report = importing.import_files(tenant=acme, author=None, files=files, index="none")
            assert not Article.objects.for_tenant(acme).exists()
        assert "nowhere" in report.errors[0]


class TestEditor:
    def test_an_admin_adds_a_translation_and_lands_in_its_editor(self, client, alice, acme) -> None:
        original, _ = _pair(acme, publish=False)
        with tenant_context(acme.id):
            Article.objects.filter(translation_of=original).delete()
        client.force_login(alice)
        response = client.post(f"/t/acme/kb/{original.id}/translate/", {"locale": "zh-hans"})
        with tenant_context(acme.id):
            translation = Article.objects.get(translation_of=original)
        assert response.status_code == 302 and response["Location"] == f"/t/acme/kb/{translation.id}/"
        assert translation.status == ArticleStatus.DRAFT and translation.locale == "zh-hans"
        page = client.get(f"/t/acme/kb/{original.id}/").content.decode()
        assert f"/t/acme/kb/{translation.id}/" in page

    def test_agents_cannot_add_translations(self, client, bob, acme) -> None:
        original, _ = _pair(acme, publish=False)
        client.force_login(bob)
        assert client.post(f"/t/acme/kb/{original.id}/translate/", {"locale": "en"}).status_code == 403
