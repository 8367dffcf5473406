"""Re-embed every published article with another model, without downtime.

1. ``manage.py kb_reembed --model /models/new-model``: builds the new model's chunks next to the current ones;
   search keeps reading the configured model's chunks meanwhile.
2. Set ``AI_EMBEDDING_MODEL=/models/new-model`` and restart web and workers: search now reads the new chunks.
3. ``manage.py kb_reembed --prune``: drops the chunks of every other model.
Run step 1 again just before step 2 to catch articles published in between.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from kb import indexing
from kb.models import Article, ArticleStatus
from tenants.rls import tenant_context
from tenants.selectors import tenant_by_slug, tenant_list


class Command(BaseCommand):
    help = "Re-embed all published articles with --model (default: the configured one), or --prune other models."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", default="", help="packaged model name or a local sentence-transformers dir")
        parser.add_argument("--tenant", default="", help="only this tenant (slug)")
        parser.add_argument("--prune", action="store_true",
                            help="delete chunks of models other than the configured one")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = list(tenant_list())
        if options["tenant"]:
            one = tenant_by_slug(options["tenant"])
            if one is None:
                raise CommandError(f"no tenant {options['tenant']!r}")
            tenants = [one]
        if options["prune"]:
            keep = indexing.current_model()
            deleted = 0
            for tenant in tenants:
                with tenant_context(tenant.id):
                    deleted += indexing.tenant_prune_models(tenant=tenant, keep=keep)
            self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} chunks of models other than {keep}."))
            return
        model = options["model"] or indexing.current_model()
        work = []
        for tenant in tenants:
            with tenant_context(tenant.id):
                ids = list(Article.objects.for_tenant(tenant).filter(status=ArticleStatus.PUBLISHED)
                           .order_by("id").values_list("id", flat=True))
            work += [(tenant, ids[i:i + indexing.REINDEX_BATCH]) for i in range(0, len(ids), indexing.REINDEX_BATCH)]
        total = 0
        with tqdm(total=sum(len(ids) for _, ids in work), desc=f"Embedding with {model}", unit="article") as bar:
            for tenant, ids in work:
                # A short transaction per batch: editors are never blocked for long, and progress is kept.
                with tenant_context(tenant.id):
                    total += indexing.articles_index(tenant=tenant, article_ids=ids, model=model)
                bar.update(len(ids))
        self.stdout.write(self.style.SUCCESS(f"{total} chunks embedded with {model}."))
