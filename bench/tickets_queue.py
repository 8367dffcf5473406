"""Queue page and list API latency with 100,000 tickets in one tenant among 10 tenants.

Run:  python -m helpdesk.embedded exec [--data DIR] -- python bench/tickets_queue.py [--big 100000] [--others 10000]
      [--runs 40]   (with --data, a second run skips the seeding)

Creates the tenants with bulk inserts (each inside its tenant's RLS context), then requests the agent queue
page and the REST list API (50 per page) in-process through the full middleware stack, with filters and
full-text search, and prints p50/p95 latency and the SQL query count per request. It also requests the API at
page sizes 10, 50 and 200 to show that the query count does not depend on the page size.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from tenants import services as tenant_services  # noqa: E402
from tenants.models import Membership, Role, Tenant, User  # noqa: E402
from tenants.rls import tenant_context  # noqa: E402
from tickets.models import Customer, Team, Ticket, TicketCounter  # noqa: E402

STATUSES = ["new", "open", "open", "pending", "solved", "closed", "closed"]
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]


def texts() -> list[str]:
    for parent in ROOT.parents:
        path = parent / "shared" / "data" / "banking77" / "train.csv"
        if path.exists():
            with path.open(encoding="utf-8", newline="") as handle:
                return [row["text"] for row in csv.DictReader(handle)]
    return [f"Question number {i} about my card and my transfer" for i in range(1000)]


def populate(tenant: Tenant, count: int, corpus: list[str], rng: random.Random) -> list[User]:
    with tenant_context(tenant.id):
        agents = []
        for i in range(5):
            user = User.objects.create_user(f"agent{i}@{tenant.slug}.bench", None, name=f"Agent {i}")
            Membership.objects.create(tenant=tenant, user=user, role=Role.AGENT)
            agents.append(user)
        teams = Team.objects.bulk_create([Team(tenant=tenant, name=n) for n in ("Cards", "Payments", "Accounts")])
        customers = Customer.objects.bulk_create(
            [Customer(tenant=tenant, email=f"c{i}@{tenant.slug}.example", name=f"Customer {i}")
             for i in range(max(10, count // 20))], batch_size=5000)
        now = timezone.now()
        batch: list[Ticket] = []
        for number in range(1, count + 1):
            created = now - timedelta(minutes=count - number)
            batch.append(Ticket(
                tenant=tenant, number=number, subject=rng.choice(corpus)[:250], status=rng.choice(STATUSES),
                priority=rng.choice(PRIORITIES), channel=rng.choice(["email", "web", "api", "chat"]),
                requester=rng.choice(customers), assignee=rng.choice([*agents, None, None]),
                team=rng.choice([*teams, None]), tags=[rng.choice(["cards", "refund", "vip", "fraud"])],
                created_at=created, updated_at=created,
                first_response_due_at=created + timedelta(hours=4), resolution_due_at=created + timedelta(days=1),
            ))
            if len(batch) == 5000:
                Ticket.objects.bulk_create(batch)
                batch = []
        Ticket.objects.bulk_create(batch)
        TicketCounter.objects.create(tenant=tenant, last_number=count)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tickets_ticket SET search_vector = setweight(to_tsvector('english', subject), 'A') "
                           "WHERE tenant_id = %s", [tenant.id])
    return agents


def measure(client: Client, url: str, runs: int, **headers: str) -> tuple[float, float, float, int]:
    client.get(url, **headers)  # warm up caches and the plan cache
    timings, db_times, counts = [], [], set()
    for _ in range(runs):
        with CaptureQueriesContext(connections["default"]) as queries:
            start = time.perf_counter()
            response = client.get(url, **headers)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        counts.add(len(queries.captured_queries))
        db_times.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return statistics.median(timings), p95, statistics.median(db_times), max(counts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=10_000, help="tickets in each of the 9 other tenants")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    call_command("migrate", database="owner", verbosity=0)
    corpus, rng = texts(), random.Random(1)
    started = time.perf_counter()
    tenants = list(Tenant.objects.filter(slug__startswith="bench").order_by("id"))
    for i in range(len(tenants), 10):  # with --data DIR, a second run reuses the seeded tenants
        tenant = tenant_services.tenant_create(slug=f"bench{i}", name=f"Bench {i}", owner_email=f"owner@bench{i}.test",
                                               owner_password=None)
        populate(tenant, args.big if i == 0 else args.others, corpus, rng)
        tenants.append(tenant)
    with tenant_context(tenants[0].id):
        big_count = Ticket.objects.count()
    # Statistics and visibility maps as autovacuum would leave them; only the tables' owner may VACUUM.
    with connections["owner"].cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    total = sum(TicketCounter.objects.using("owner").values_list("last_number", flat=True))
    print(f"{total:,} tickets in 10 tenants ({big_count:,} in bench0), ready in {time.perf_counter() - started:.0f} s")

    big = tenants[0]
    owner = User.objects.get(email="owner@bench0.test")
    with tenant_context(big.id):
        key = tenant_services.api_key_create(tenant=big, actor=Membership.objects.get(user=owner), name="bench").key
        agent_id = Membership.objects.filter(role=Role.AGENT).values_list("user_id", flat=True).first()
    browser = Client()
    browser.force_login(owner)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    base = "/t/bench0"
    cases = [
        ("queue page: all", browser, f"{base}/tickets/"),
        ("queue page: page 100", browser, f"{base}/tickets/?page=100"),
        ("queue page: open + high", browser, f"{base}/tickets/?status=open&priority=high"),
        ("queue page: unassigned", browser, f"{base}/tickets/?view=unassigned"),
        ("queue page: assignee + tag", browser, f"{base}/tickets/?assignee={agent_id}&tag=vip"),
        ("queue page: search 'card arrived'", browser, f"{base}/tickets/?q=card+arrived"),
        ("queue page: search 'apple pay'", browser, f"{base}/tickets/?q=apple+pay"),
        ("queue page: search + open", browser, f"{base}/tickets/?q=refund&status=open"),
        ("queue page: breaching SLA", browser, f"{base}/tickets/?view=breaching"),
        ("API list: 50", api, f"{base}/api/v1/tickets/?page_size=50"),
        ("API list: open + urgent", api, f"{base}/api/v1/tickets/?page_size=50&status=open&priority=urgent"),
        ("API list: search 'transfer'", api, f"{base}/api/v1/tickets/?page_size=50&q=transfer"),
        ("API list: search + pending", api, f"{base}/api/v1/tickets/?page_size=50&q=card&status=pending"),
    ]
    print(f"\n{'request':<38} {'p50 ms':>8} {'p95 ms':>8} {'SQL ms':>8} {'queries':>8}")
    for label, client, url in cases:
        p50, p95, sql, queries = measure(client, url, args.runs)
        print(f"{label:<38} {p50:>8.1f} {p95:>8.1f} {sql:>8.1f} {queries:>8}")
    page = api.get(f"{base}/api/v1/tickets/?page_size=50").json()
    for _ in range(20):  # a deep cursor page costs the same as the first
        page = api.get(page["next"]).json()
    p50, p95, sql, queries = measure(api, page["next"], args.runs)
    print(f"{'API list: cursor page 22':<38} {p50:>8.1f} {p95:>8.1f} {sql:>8.1f} {queries:>8}")
    print("\nQuery count by page size (must not grow):")
    for size in (10, 50, 200):
        _, _, _, api_q = measure(api, f"{base}/api/v1/tickets/?page_size={size}", 3)
        _, _, _, page_q = measure(browser, f"{base}/tickets/?per_page={size}", 3)
        print(f"  API page_size={size:<4} queries={api_q}   queue page {size:<4} queries={page_q}")


if __name__ == "__main__":
    main()
