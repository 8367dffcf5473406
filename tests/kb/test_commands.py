from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from kb import indexing
from kb.models import Article, Chunk
from tenants.rls import tenant_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def docs(tmp_path):
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "_category.md").write_text("---\ntitle: Cards\nposition: 1\n---\n")
    (tmp_path / "cards" / "lost-card.md").write_text(
        "---\ntitle: Lost or stolen card\ntags: cards\n---\n\n## Freeze\n\nFreeze a lost card in the app.\n")
    (tmp_path / "cards" / "fees.md").write_text("---\ntitle: Card fees\n---\n\nOrdering a card costs nothing.\n")
    return tmp_path


def test_kb_import_indexes_published_articles_with_a_progress_bar(docs, acme, globex, capsys):
    out = io.StringIO()
    call_command("kb_import", str(docs), "--tenant", "acme", "--publish", stdout=out)
    assert "2 created" in out.getvalue() and "chunks indexed" in out.getvalue()
    bar = capsys.readouterr().err  # tqdm writes its bar to stderr
    assert "Importing" in bar and "3/3" in bar  # _category.md files count too: the bar ends full
    with tenant_context(acme.id):
        assert Article.objects.filter(status="published").count() == 2
        assert Chunk.objects.count() >= 2
    with tenant_context(globex.id):
        assert not Article.objects.exists()


def test_kb_import_takes_a_file_that_is_not_utf8(docs, acme):
    (docs / "cards" / "atm.md").write_bytes(b"---\ntitle: ATM\x00 fees\n---\nCosts \xff nothing.\n")
    out = io.StringIO()
    call_command("kb_import", str(docs), "--tenant", "acme", "--index", "none", stdout=out)
    assert "3 created" in out.getvalue()
    with tenant_context(acme.id):
        assert Article.objects.get(slug="atm").title == "ATM fees"


def test_kb_import_refuses_unknown_tenants_and_missing_folders(docs, tmp_path):
    with pytest.raises(CommandError):
        call_command("kb_import", str(docs), "--tenant", "nope")
    with pytest.raises(CommandError):
        call_command("kb_import", str(tmp_path / "missing"), "--tenant", "nope")


def test_kb_evaluate_reports_the_three_modes(docs, acme, tmp_path):
    call_command("kb_import", str(docs), "--tenant", "acme", "--publish", stdout=io.StringIO())
    csv = tmp_path / "eval.csv"
    csv.write_text('question,article,kind\n"i lost my card","cards/lost-card","paraphrase"\n'
                   '"what does a card cost","cards/fees|cards/lost-card","keyword"\n"weather?","","oos"\n')
    out = io.StringIO()
    call_command("kb_evaluate", "--tenant", "acme", "--file", str(csv), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["mode", "questions", "recall@1", "recall@5", "MRR"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert set(rows) == {"hybrid", "vector", "fts"}
    assert rows["hybrid"][0] == "2" and float(rows["hybrid"][2]) == 1.0


def test_kb_reembed_builds_another_models_chunks_then_prunes(docs, acme, monkeypatch):
    call_command("kb_import", str(docs), "--tenant", "acme", "--publish", stdout=io.StringIO())
    import numpy as np

    # The second model is a stand-in (a real one would be a local sentence-transformers folder).
    monkeypatch.setattr(indexing, "_embedder", lambda model: (
        (lambda texts: np.full((len(texts), 384), 384 ** -0.5, dtype=np.float32)) if model == "other-model"
        else indexing.embeddings.embed))
    with tenant_context(acme.id):
        before = Chunk.objects.filter(embedding_model=indexing.current_model()).count()
    call_command("kb_reembed", "--model", "other-model", stdout=io.StringIO())
    with tenant_context(acme.id):
        assert Chunk.objects.filter(embedding_model="other-model").count() == before
        assert Chunk.objects.filter(embedding_model=indexing.current_model()).count() == before
    call_command("kb_reembed", "--prune", stdout=io.StringIO())
    with tenant_context(acme.id):
        assert not Chunk.objects.filter(embedding_model="other-model").exists()
        assert Chunk.objects.count() == before
