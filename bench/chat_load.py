"""Chat load: N customer/agent pairs on loopback against the real server (uvicorn + Redis + PostgreSQL).

Run inside the embedded services (a fresh, temporary PostgreSQL and Redis):

    python -m helpdesk.embedded exec -- python bench/chat_load.py [--pairs 500] [--rate 500] [--seconds 60]
        [--workers 2] [--step 250,500,600,700,800,1000] [--step-seconds 15] [--ai-worker]

Each pair is one visitor socket and one agent socket on the same conversation (the agent has taken it over).
Messages alternate between the two sides at a fixed total rate; every message is persisted by the services before
it is broadcast. Reported: delivered/sent (a message counts once, at the other side of its pair; duplicates are
counted separately), delivery latency p50/p99 (send -> arrival at the peer), the rows in the database, and the
CPU time each part of the system spent per message (where the 2 cores go).
Then (b): the rate is stepped up and the highest rate held with p99 < 100 ms and nothing lost is printed.
With --ai-worker the AI worker runs beside the server (as bin/up runs it) and answers the customers' messages with
suggestions for the agents: the chat then shares the cores with the models.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(pairs: int) -> list[tuple[str, str, int]]:
    """Migrate, create the tenant, its agents, visitors and conversations (taken over): (token, cookie, conv id)."""
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v", "0"], check=True)
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    from chat import services
    from chat.models import ChatSettings
    from tenants.models import Membership, Role, Tenant, User
    from tenants.rls import tenant_context

    tenant, _ = Tenant.objects.get_or_create(slug="bench", defaults={"name": "Bench Bank"})
    password = make_password("bench-password-1")
    users = User.objects.bulk_create(
        [User(email=f"agent{i}@bench.test", name=f"Agent {i}", password=password) for i in range(pairs)])
    out = []
    with tenant_context(tenant.id):
        ChatSettings.objects.update_or_create(tenant=tenant, defaults={
            "prechat_form": False, "visitor_messages_per_minute": 100_000, "tenant_messages_per_minute": 10_000_000})
        Membership.objects.bulk_create([Membership(tenant=tenant, user=u, role=Role.AGENT) for u in users])
        for user in users:
            session = services.chat_start(tenant=tenant, name=f"Visitor of {user.name}")
            services.agent_take_over(tenant=tenant, conversation=session.conversation, agent=user)
            store = SessionStore()
            store.update({"_auth_user_id": str(user.pk), "_auth_user_hash": user.get_session_auth_hash(),
                          "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"})
            store.create()
            out.append((session.token, f"sessionid={store.session_key}", session.conversation.id))
    return out


def count_messages() -> int:
    from chat.models import ChatMessage, Sender
    from tenants.models import Tenant
    from tenants.rls import tenant_context

    tenant = Tenant.objects.get(slug="bench")
    with tenant_context(tenant.id):
        return ChatMessage.objects.filter(sender__in=[Sender.CUSTOMER, Sender.AGENT]).count()


@dataclass
class Stats:
    sent: dict[str, float] = field(default_factory=dict)  # client id -> send time
    delivered: dict[str, float] = field(default_factory=dict)  # client id -> latency (s)
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Pair:
    customer: object
    agent: object
    conversation: int
    turn: int = 0


async def reader(ws: object, side: str, stats: Stats) -> None:
    async for raw in ws:  # type: ignore[attr-defined]
        frame = json.loads(raw)
        kind = frame.get("type")
        if kind == "message":
            cid = frame.get("client_msg_id") or ""
            # Count a message where the *other* side receives it (its own echo is not a delivery).
            if not cid.startswith(side) and cid in _STATS.sent:
                if cid in _STATS.delivered:
                    _STATS.duplicates += 1
                else:
                    _STATS.delivered[cid] = time.monotonic() - _STATS.sent[cid]
        elif kind == "error":
            _STATS.errors.append(frame.get("error", "?"))


_STATS = Stats()
_READERS: list[asyncio.Future[None]] = []


async def connect_all(base: str, setup: list[tuple[str, str, int]], limit: int = 50) -> list[Pair]:
    import websockets

    gate = asyncio.Semaphore(limit)

    async def one(token: str, cookie: str, conversation: int) -> Pair:
        async with gate:
            customer = await websockets.connect(f"{base}/ws/c/bench/visitor/?token={token}", max_queue=None,
                                                open_timeout=60, ping_interval=None, compression=None)
            agent = await websockets.connect(f"{base}/ws/t/bench/chat/", additional_headers={"Cookie": cookie},
                                             max_queue=None, open_timeout=60, ping_interval=None,
                                             compression=None)
            await customer.recv()  # hello
            await agent.recv()  # hello
            return Pair(customer, agent, conversation)

    pairs = await asyncio.gather(*(one(*row) for row in setup))
    for pair in pairs:
        _READERS.append(asyncio.ensure_future(reader(pair.customer, "c", _STATS)))
        _READERS.append(asyncio.ensure_future(reader(pair.agent, "a", _STATS)))
    await asyncio.sleep(2)  # let history frames drain
    return list(pairs)


async def run_rate(pairs: list[Pair], rate: float, seconds: float, tag: str) -> dict[str, float]:
    """Send ``rate`` messages per second in total, round-robin over the pairs, alternating sides."""
    global _STATS
    _STATS = Stats()
    tick = 0.005
    total = int(rate * seconds)
    start = time.monotonic()
    n = 0
    index = 0
    while n < total:
        due = min(total, int((time.monotonic() - start) * rate) + 1)
        while n < due:
            pair = pairs[index % len(pairs)]
            index += 1
            side = "c" if pair.turn % 2 == 0 else "a"
            pair.turn += 1
            cid = f"{side}{tag}-{n}"
            _STATS.sent[cid] = time.monotonic()
            if side == "c":
                frame: dict[str, object] = {"type": "message", "text": f"hello {n}", "client_msg_id": cid}
                await pair.customer.send(json.dumps(frame))  # type: ignore[attr-defined]
            else:
                frame = {"type": "reply", "conversation": pair.conversation, "text": f"hi {n}", "client_msg_id": cid}
                await pair.agent.send(json.dumps(frame))  # type: ignore[attr-defined]
            n += 1
        await asyncio.sleep(tick)
    elapsed = time.monotonic() - start
    # Wait for the backlog to drain (an overloaded run is late, not necessarily lossy): until everything arrived,
    # or nothing more arrived for 15 s.
    last_count, last_progress = -1, time.monotonic()
    while len(_STATS.delivered) < len(_STATS.sent) and time.monotonic() - last_progress < 15:
        if len(_STATS.delivered) != last_count:
            last_count, last_progress = len(_STATS.delivered), time.monotonic()
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # catch late duplicates
    latencies = sorted(_STATS.delivered.values())
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [float("nan")] * 99
    return {
        "rate": rate, "sent": len(_STATS.sent), "delivered": len(_STATS.delivered), "duplicates": _STATS.duplicates,
        "errors": len(_STATS.errors), "ratio": len(_STATS.delivered) / max(1, len(_STATS.sent)),
        "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "max_ms": (latencies[-1] if latencies else 0) * 1000,
        "send_seconds": elapsed,
    }


def cpu_seconds(started: dict[str, int]) -> dict[str, dict[int, float]]:
    """CPU time used so far by each process of each part of the system (Linux /proc): where a message's cost goes."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, str, float]] = {}  # pid -> (parent, command line, CPU seconds)
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as raw:
                command = raw.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as text:
                fields = text.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        procs[int(entry)] = (int(fields[1]), command, (int(fields[11]) + int(fields[12])) / tick)  # utime + stime

    def under(pid: int, root: int) -> bool:  # uvicorn's workers and PostgreSQL's backends are children
        while pid > 1:
            if pid == root:
                return True
            pid = procs[pid][0] if pid in procs else 0
        return False

    # This run's own PostgreSQL and Redis: other instances on the machine are not ours to count.
    socket_dir = unquote(parse_qs(urlsplit(os.environ.get("DATABASE_URL", "")).query).get("host", ["?"])[0])
    redis_port = f":{urlsplit(os.environ.get('REDIS_URL', '')).port}"  # its process title is host:port
    # Our children first: the load generator (this process) is their ancestor too.
    roots = {**{name: [pid] for name, pid in started.items()}, "load generator": [os.getpid()],
             "PostgreSQL": [pid for pid, (_, cmd, _) in procs.items() if "postgres -D" in cmd and socket_dir in cmd],
             "Redis": [pid for pid, (_, cmd, _) in procs.items() if "redis-server" in cmd and redis_port in cmd]}
    totals: dict[str, dict[int, float]] = {name: {} for name in roots}
    for pid, (_, _, seconds) in procs.items():
        for name, pids in roots.items():
            if any(under(pid, root) for root in pids):
                totals[name][pid] = seconds
                break
    return totals


def show_cpu(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], messages: int,
             seconds: float) -> None:
    # Per process: one that exits during the run (an autovacuum worker) must not subtract its earlier CPU time.
    used = {name: sum(cpu - before[name].get(pid, 0.0) for pid, cpu in after[name].items()) for name in before}
    per_message = {name: seconds_used * 1000 / max(1, messages) for name, seconds_used in used.items()}
    busy = sum(used.values()) / seconds
    print("  CPU per message: " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in per_message.items())
          + f" (cores busy on average: {busy:.2f} of {os.cpu_count()})", flush=True)


def show(result: dict[str, float]) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  rate {result['rate']:.0f}/s: sent {result['sent']}, delivered/sent {result['ratio']:.4f}, "
          f"duplicates {result['duplicates']}, errors {result['errors']}, p50 {result['p50_ms']:.1f} ms, "
          f"p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms (sending took {result['send_seconds']:.1f} s; "
          f"load average {load})",
          flush=True)


async def main_async(args: argparse.Namespace, setup: list[tuple[str, str, int]], base: str,
                     started: dict[str, int]) -> None:
    t0 = time.monotonic()
    pairs = await connect_all(base, setup)
    # The load generator's own garbage-collector pauses (1,000 sockets' objects) would show up as latency.
    gc.collect()
    gc.freeze()
    gc.disable()
    print(f"connected {2 * len(pairs)} WebSocket clients in {time.monotonic() - t0:.1f} s", flush=True)
    # Warm-up (not measured): every pair exchanges one message, so that each process's DB threads have opened
    # their connections and each agent socket has looked its conversation up once.
    warm = await run_rate(pairs, min(args.rate, 200), 2 * len(pairs) / min(args.rate, 200), "W")
    print(f"warm-up: {warm['sent']:.0f} messages, delivered/sent {warm['ratio']:.4f}", flush=True)
    if args.seconds > 0:
        print(f"(a) {args.rate:.0f} messages/s for {args.seconds:.0f} s:", flush=True)
        before = await asyncio.to_thread(count_messages)
        cpu_before, began = cpu_seconds(started), time.monotonic()
        result = await run_rate(pairs, args.rate, args.seconds, "A")
        cpu_after, elapsed = cpu_seconds(started), time.monotonic() - began
        persisted = await asyncio.to_thread(count_messages) - before
        show(result)
        show_cpu(cpu_before, cpu_after, int(result["sent"]), elapsed)
        print(f"  persisted rows for these messages: {persisted} (sent {result['sent']})", flush=True)
    if args.step:
        print("(b) stepping the rate up:", flush=True)
        best = 0.0
        for i, rate in enumerate(float(r) for r in args.step.split(",")):
            result = await run_rate(pairs, rate, args.step_seconds, f"S{i}")
            show(result)
            if result["ratio"] == 1.0 and result["duplicates"] == 0 and result["p99_ms"] < 100:
                best = rate
            else:
                break
        print(f"  highest rate held with p99 < 100 ms and nothing lost: {best:.0f} messages/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--step", default="250,500,600,700,800,1000,1250,1500,2000")
    parser.add_argument("--step-seconds", type=float, default=15)
    parser.add_argument("--ai-worker", action="store_true",
                        help="also run the AI worker, which answers each conversation's customer messages")
    parser.add_argument("--ai-nice", type=int, default=10, help="the AI worker's nice value (bin/up's too)")
    parser.add_argument("--ws", default="websockets-sansio", help="uvicorn's WebSocket implementation")
    args = parser.parse_args()

    setup = prepare(args.pairs)
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(args.workers), "--log-level", "warning", "--loop", "uvloop",
         "--ws", args.ws, "--ws-per-message-deflate", "false"],
        cwd=ROOT, env=env,
    )
    started = {"ASGI server": server.pid}
    worker = None
    if args.ai_worker:
        # The AI worker as bin/up runs it (one solo process on the ai queue, at a lower CPU priority), so the figures
        # show the chat sharing the cores with the suggestions it triggers.
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-Q", "ai", "--pool", "solo", "--loglevel",
             "warning"], cwd=ROOT, env={**env, "HF_HUB_OFFLINE": "1"}, preexec_fn=lambda: os.nice(args.ai_nice))
        started["AI worker"] = worker.pid
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        time.sleep(2)
        print(f"server: uvicorn, {args.workers} worker(s); {os.cpu_count()} CPU cores; {args.pairs} pairs", flush=True)
        import uvloop

        if worker is not None:
            print(f"AI worker: celery solo on the ai queue at nice {args.ai_nice}", flush=True)
        uvloop.run(main_async(args, setup, f"ws://127.0.0.1:{port}", started))
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()
