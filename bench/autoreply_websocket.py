"""Latency from a customer's chat message to the bot's reply over the real WebSocket path, on this CPU.

Run: python -m helpdesk.embedded exec -- python bench/autoreply_websocket.py [--questions 60]

Starts the ASGI server (uvicorn) and one Celery worker (queues default and ai) on the embedded database and Redis,
seeds the demo knowledge base into a bench tenant, then for each question of kb/demo/eval.csv opens a customer
socket, sends the question and times until the bot's answer or the hand-off notice arrives. The worker is warmed
with one question first (model loading is not answer latency).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid

from _django import ROOT, percentile, setup, tenant


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def ask(port: int, slug: str, token: str, text: str) -> tuple[float, str, list[dict[str, str]]]:
    import websockets

    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/c/{slug}/visitor/?token={token}") as ws:
        while json.loads(await ws.recv())["type"] != "hello":
            pass
        started = time.perf_counter()
        await ws.send(json.dumps({"type": "message", "text": text, "client_msg_id": uuid.uuid4().hex}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
            if frame.get("type") == "message" and frame.get("sender") in ("bot", "system"):
                return (time.perf_counter() - started) * 1000, frame["sender"], frame.get("citations") or []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=60)
    args = parser.parse_args()
    setup()
    from chat import services as chat_services
    from kb.evaluation import load_questions
    from kb.seed import seed
    from tenants.rls import tenant_context

    bench = tenant("bench-websocket")
    with tenant_context(bench.id):
        seed(tenant=bench, stdout=io.StringIO())
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "HF_HUB_OFFLINE": "1"}
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--port", str(port),
                               "--log-level", "warning"], cwd=ROOT, env=env)
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-Q", "default,ai",
                               "--pool", "solo", "--loglevel", "warning"], cwd=ROOT, env=env)
    try:
        time.sleep(5)
        questions = load_questions()
        step = max(1, len(questions) // args.questions)
        picked = questions[::step][: args.questions]

        def session() -> str:
            with tenant_context(bench.id):
                return chat_services.chat_start(tenant=bench, name="Bench", email="bench@example.test").token

        asyncio.run(ask(port, bench.slug, session(), "How much does express card delivery cost?"))  # warm-up
        latencies, answered = [], 0
        for q in picked:
            ms, sender, _ = asyncio.run(ask(port, bench.slug, session(), q.text))
            latencies.append(ms)
            answered += sender == "bot"
        print(f"{len(picked)} questions over the WebSocket: bot answered {answered}, handed off "
              f"{len(picked) - answered}")
        print(f"customer message -> first bot frame: p50 {percentile(latencies, 50):.0f} ms, "
              f"p95 {percentile(latencies, 95):.0f} ms")
    finally:
        for process in (worker, server):
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
