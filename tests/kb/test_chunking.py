from __future__ import annotations

import itertools

import pytest

from kb.chunking import SEPARATOR, chunk_article


def test_it_splits_by_headings_and_keeps_the_heading_path():
    body = "Intro text.\n\n## Fees\n\nFee text.\n\n### Abroad\n\nAbroad text.\n\n## Limits\n\nLimit text."
    chunks = chunk_article(title="Cards", body=body)
    assert [(c.heading, c.text) for c in chunks] == [
        ("Cards", "Intro text."),
        (f"Cards{SEPARATOR}Fees", "Fee text."),
        (f"Cards{SEPARATOR}Fees{SEPARATOR}Abroad", "Abroad text."),
        (f"Cards{SEPARATOR}Limits", "Limit text."),
    ]
    assert [c.ordinal for c in chunks] == [0, 1, 2, 3]


def test_a_heading_inside_a_code_fence_is_text():
    body = "## Real\n\n```\n## not a heading\n```\n"
    chunks = chunk_article(title="T", body=body)
    assert len(chunks) == 1
    assert "## not a heading" in chunks[0].text


def test_empty_sections_produce_no_chunk_and_an_empty_article_still_has_one():
    assert [c.heading for c in chunk_article(title="T", body="## A\n\n## B\n\ntext")] == [f"T{SEPARATOR}B"]
    assert [(c.heading, c.text) for c in chunk_article(title="Only a title", body="")] == [
        ("Only a title", "Only a title")
    ]


def test_long_sections_are_bounded_and_overlap():
    sentences = [f"Sentence number {i} talks about topic {i} in some detail." for i in range(60)]
    chunks = chunk_article(title="T", body="## Long\n\n" + " ".join(sentences), max_chars=300, overlap=80)
    assert len(chunks) > 5
    assert all(len(c.text) <= 300 for c in chunks)
    for previous, current in itertools.pairwise(chunks):
        # The start of each piece repeats the end of the previous one.
        assert current.text[:40] in previous.text
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences)


def test_a_single_word_longer_than_the_bound_is_cut():
    chunks = chunk_article(title="T", body="x" * 2500, max_chars=1000, overlap=100)
    assert all(len(c.text) <= 1000 for c in chunks)
    assert sum(len(c.text) for c in chunks) >= 2500


def test_paragraphs_are_kept_together_when_they_fit():
    body = "\n\n".join(["a " * 100, "b " * 100, "c " * 100])
    chunks = chunk_article(title="T", body=body, max_chars=450, overlap=50)
    assert "a a" in chunks[0].text and "b b" in chunks[0].text
    assert all(len(c.text) <= 450 for c in chunks)


def test_overlap_must_be_smaller_than_the_bound():
    with pytest.raises(ValueError):
        chunk_article(title="T", body="text", max_chars=100, overlap=100)


def test_the_embedding_input_carries_the_heading():
    chunk = chunk_article(title="Cards", body="## Fees\n\nFee text.")[0]
    assert chunk.embedding_input() == f"Cards{SEPARATOR}Fees\nFee text."
