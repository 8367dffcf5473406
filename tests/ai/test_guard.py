from __future__ import annotations

import pytest

from ai.backends.embeddings import embed, same_meaning
from ai.guard import check

SOURCE = ("Standard card delivery takes 3-5 business days in the UK. Express delivery costs £5 and arrives in "
          "1-2 business days. You can track your card in the app under Cards > Track delivery.")


def test_a_quoted_answer_is_supported() -> None:
    assert check("Express delivery costs £5 and arrives in 1-2 business days.", [SOURCE]).supported


def test_an_invented_number_is_withheld() -> None:
    result = check("Express delivery costs £15 and arrives the next day.", [SOURCE])
    assert not result.supported
    assert result.unsupported == ["Express delivery costs £15 and arrives the next day."]


@pytest.mark.slow
def test_a_paraphrase_passes_and_an_invention_fails_with_embeddings() -> None:
    paraphrase = check("In the app, open Cards and choose Track delivery to follow your card.", [SOURCE],
                       embedder=embed, semantic_support=same_meaning())
    assert paraphrase.supported
    invented = check("We can also send your card to a friend abroad by courier.", [SOURCE], embedder=embed,
                     semantic_support=same_meaning())
    assert not invented.supported
