"""Demo content: a demo tenant's knowledge base (Northwind Bank's kb/demo, Qingyun's kb/demo_zh), published and
indexed in-process."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from kb import importing
from tenants.models import Membership, Role, Tenant

DEMO_ROOT = Path(__file__).resolve().parent / "demo" / "articles"
# Each demo's articles, keyed by the content name seed_demo passes (its tenant's slug).
DEMO_CONTENT = {"demo": DEMO_ROOT, "qingyun": Path(__file__).resolve().parent / "demo_zh" / "articles"}


def seed(*, tenant: Tenant, stdout: IO[str] | Any, content: str = "demo") -> None:
    """Idempotent: unchanged articles are left alone, and indexing replaces chunks rather than adding them."""
    owner = Membership.objects.for_tenant(tenant).filter(role=Role.OWNER).select_related("user").first()
    files = list(importing.folder_files(DEMO_CONTENT[content]))
    # A management command's OutputWrapper ends every write with a newline; tqdm needs the raw stream.
    stream = getattr(stdout, "_out", stdout)
    with tqdm(total=len(files), desc="Knowledge base", unit="file", file=stream, leave=False) as bar:
        report = importing.import_files(
            tenant=tenant, author=owner.user if owner else None, files=files, publish=True, index="sync",
            progress=bar.update,
        )
    stdout.write(
        f"Knowledge base: {report.created} articles created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.chunks} chunks indexed.\n"
    )
    for error in report.errors:
        stdout.write(f"  {error}\n")
