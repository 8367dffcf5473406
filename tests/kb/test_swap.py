"""A search while an article is being re-indexed sees the old version or the new one: never a mix, never nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from kb import indexing, selectors, services
from tenants.rls import tenant_context

VERSIONS = {
    "one": "## Refunds\n\nVersion one: refunds arrive within five days.\n\n## Disputes\n\nVersion one: disputes "
           "take ten days.\n\n## Fees\n\nVersion one: refunds are free.",
    "two": "## Refunds\n\nVersion two: refunds arrive within three days.\n\n## Chargebacks\n\nVersion two: "
           "chargebacks take a week.\n\n## Costs\n\nVersion two: refunds cost nothing.\n\n## More\n\nVersion two: "
           "refunds extra.",
}


@pytest.mark.django_db(transaction=True)
def test_search_during_reindexing_sees_old_or_new_never_a_mix(acme, globex):
    with tenant_context(acme.id):
        article = services.article_save(tenant=acme, author=None, title="Refund policy", body=VERSIONS["one"],
                                        enqueue_index=False)
        services.article_publish(tenant=acme, article=article, enqueue_index=False)
        indexing.article_index(tenant=acme, article_id=article.id)
    expected_chunks = {name: len(indexing.chunk_article(title="Refund policy", body=body))
                       for name, body in VERSIONS.items()}
    assert expected_chunks["one"] != expected_chunks["two"]
    done = threading.Event()
    problems: list[str] = []
    observed: list[str] = []

    def reindex() -> None:
        try:
            for i in range(12):
                version = "two" if i % 2 == 0 else "one"
                with tenant_context(acme.id):
                    current = services.article_save(tenant=acme, author=None, article=article,
                                                     title="Refund policy", body=VERSIONS[version],
                                                     enqueue_index=False)
                with tenant_context(acme.id):
                    indexing.article_index(tenant=acme, article_id=current.id)
        finally:
            done.set()
            connections.close_all()

    def search() -> None:
        try:
            while not done.is_set():
                with tenant_context(acme.id):
                    for mode in ("hybrid", "fts", "vector"):
                        hits = selectors.article_search(tenant=acme, query="refunds", mode=mode)
                        if not hits:
                            problems.append(f"{mode}: nothing")
                            continue
                        marker = "one" if "Version one" in hits[0].text else "two"
                        observed.append(marker)
                    with connection.cursor() as cursor:
                        # All chunks visible in one statement come from one revision, and all of them are there.
                        cursor.execute(
                            "SELECT count(DISTINCT revision_id), count(*), "
                            "bool_and(text LIKE 'Version one%%' OR heading NOT LIKE '%%>%%'), "
                            "bool_and(text LIKE 'Version two%%' OR heading NOT LIKE '%%>%%') "
                            "FROM kb_chunk WHERE article_id = %s", [article.id])
                        revisions, count, all_one, all_two = cursor.fetchone()
                    if revisions != 1 or not (all_one or all_two):
                        problems.append(f"mixed chunks: {revisions} revisions, one={all_one}, two={all_two}")
                    elif count != expected_chunks["one" if all_one else "two"]:
                        problems.append(f"incomplete: {count} chunks")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reindex), threading.Thread(target=search)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert problems == []
    assert {"one", "two"} <= set(observed), "the searches did not overlap the re-indexing"
    with tenant_context(globex.id):
        assert selectors.article_search(tenant=globex, query="refunds") == []
