"""Run the whole system on one machine: database and Redis (embedded unless URLs are given), migrations, the
demo tenant, the ASGI server, a Celery worker per queue and Celery beat. A process that exits is started again
(after 1, 2, 4 ... up to 30 s when it keeps failing); Ctrl-C stops everything it started, and only that. In
production a real supervisor does this job (README: systemd units and a Procfile).

    python -m helpdesk.devserver [--port 8000] [--no-seed]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helpdesk.embedded import Embedded

ROOT = Path(__file__).resolve().parent.parent
AI_NICE = 10  # the AI worker's CPU priority below the web process (bench/chat_load.py --ai-worker uses the same)
RESTART_BACKOFF_MAX_S = 30.0
HEALTHY_AFTER_S = 60.0  # a child that ran this long before exiting starts again at once


@dataclass
class Child:
    """One supervised process: started again whenever it exits, later each time it fails quickly."""

    name: str
    command: list[str]
    env: dict[str, str]
    preexec: Callable[[], None] | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env, cwd=ROOT, preexec_fn=self.preexec)
        self.started_at = time.monotonic()
        self.restart_at = None

    def supervise(self, now: float) -> None:
        """Notice an exit and schedule the restart; start it when its time has come."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                print(f"==> Starting {self.name} again", flush=True)
                self.start()
            return
        if self.process is None or self.process.poll() is None:
            return
        self.failures = 0 if now - self.started_at >= HEALTHY_AFTER_S else self.failures + 1
        delay = 0.0 if self.failures == 0 else min(RESTART_BACKOFF_MAX_S, 2.0 ** (self.failures - 1))
        print(f"{self.name} exited with {self.process.returncode}; starting it again in {delay:.0f} s",
              file=sys.stderr, flush=True)
        self.restart_at = now + delay

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bin/up")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--data", type=Path, help="embedded services' data (default .var/data, .var/cluster)")
    parser.add_argument("--no-seed", action="store_true", help="skip the demo tenant")
    parser.add_argument("--cluster", type=int, nargs="?", const=2, default=0, metavar="WORKERS",
                        help="run on a local Citus cluster: a coordinator and WORKERS workers (default 2)")
    args = parser.parse_args(argv)
    args.data = args.data or ROOT / ".var" / ("cluster" if args.cluster else "data")

    embedded = Embedded(args.data.resolve(), workers=args.cluster)
    if args.cluster:
        print(f"==> Starting a Citus cluster (a coordinator and {args.cluster} workers, embedded unless "
              "DATABASE_URL is set) and Redis")
    else:
        print("==> Starting PostgreSQL + pgvector and Redis (embedded unless DATABASE_URL / REDIS_URL are set)")
    env = {**os.environ, **embedded.start(), "DJANGO_SETTINGS_MODULE": "helpdesk.settings"}
    env.setdefault("SITE_URL", f"http://{args.host}:{args.port}")
    # Outgoing demo mail lands in files rather than flooding the console; point EMAIL_* at SMTP for real use.
    env.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    env.setdefault("EMAIL_FILE_PATH", str(args.data / "mail"))
    python = sys.executable
    children: list[Child] = []
    try:
        manage = [python, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
        subprocess.run([*manage, "collectstatic", "--no-input", "-v", "0"], env=env, check=True)
        if not args.no_seed:
            subprocess.run([*manage, "seed_demo"], env=env, check=True)
        if args.cluster:
            subprocess.run([*manage, "tenant_placement"], env=env, check=True)
        commands = {
            "web": [python, "-m", "uvicorn", "helpdesk.asgi:application", "--host", args.host,
                    "--port", str(args.port), "--log-level", "warning"],
            "worker-default": [python, "-m", "celery", "-A", "helpdesk", "worker", "-Q", "default", "-n",
                               "default@%h", "-c", "2", "--loglevel", "warning"],
            "worker-ai": [python, "-m", "celery", "-A", "helpdesk", "worker", "-Q", "ai", "-n", "ai@%h",
                          "-c", "1", "--pool", "solo", "--loglevel", "warning"],
            "beat": [python, "-m", "celery", "-A", "helpdesk", "beat", "--loglevel", "warning",
                     "-s", str(args.data / "celerybeat-schedule")],
        }
        for name, command in commands.items():
            print(f"==> Starting {name}")
            # The models yield the CPU to the web process: a chat message waits on it, a suggestion can wait.
            lower = _lower_priority if name == "worker-ai" else None
            child = Child(name=name, command=command, env=env, preexec=lower)
            child.start()
            children.append(child)
        base = f"http://{args.host}:{args.port}"
        print(
            f"\nHelpdesk is running, with an English and a Chinese demo tenant (demo, qingyun).\n"
            f"  Agent app:    {base}/accounts/login/   (then /t/demo/ or /t/qingyun/)\n"
            f"  Help center:  {base}/h/demo/   {base}/h/qingyun/\n"
            f"  Chat page:    {base}/c/demo/   {base}/c/qingyun/\n"
            f"  API docs:     {base}/t/demo/api/docs/\n"
            f"  Sent e-mail:  {env['EMAIL_FILE_PATH']}\n"
            f"Press Ctrl-C to stop.\n",
            flush=True,
        )
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while True:
            now = time.monotonic()
            for child in children:
                child.supervise(now)
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\n==> Stopping")
        return 0
    finally:
        for child in children:
            child.stop()
        for child in children:
            child.wait()
        embedded.stop()


def _lower_priority() -> None:
    os.nice(AI_NICE)


if __name__ == "__main__":
    sys.exit(main())
