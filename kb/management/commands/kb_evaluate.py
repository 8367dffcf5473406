"""Report recall@1, recall@5 and MRR of vector-only, full-text-only and hybrid search on a labelled set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kb.evaluation import DEMO_EVAL, evaluate, format_scores, load_questions
from tenants.rls import tenant_context
from tenants.selectors import tenant_by_slug


class Command(BaseCommand):
    help = "Evaluate KB search on eval.csv (question,article,kind) against a tenant (default: the demo tenant)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", default="demo")
        parser.add_argument("--file", type=Path, default=DEMO_EVAL)

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = tenant_by_slug(options["tenant"])
        if tenant is None:
            raise CommandError(f"no tenant {options['tenant']!r} (run manage.py seed_demo first)")
        questions = load_questions(options["file"])
        with tenant_context(tenant.id):
            scores = evaluate(tenant=tenant, questions=questions)
        self.stdout.write(format_scores(scores))
