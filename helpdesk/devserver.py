"""Run the whole system on one machine: database and Redis (embedded unless URLs are given), migrations, the
demo tenant, the ASGI server, a Celery worker per queue and Celery beat. Ctrl-C stops everything it started.

    python -m helpdesk.devserver [--port 8000] [--no-seed]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpdesk.embedded import Embedded

ROOT = Path(__file__).resolve().parent.parent
AI_NICE = 10  # the AI worker's CPU priority below the web process (bench/chat_load.py --ai-worker uses the same)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bin/up")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--data", type=Path, default=ROOT / ".var" / "data", help="embedded services' data")
    parser.add_argument("--no-seed", action="store_true", help="skip the demo tenant")
    args = parser.parse_args(argv)

    embedded = Embedded(args.data.resolve())
    print("==> Starting PostgreSQL + pgvector and Redis (embedded unless DATABASE_URL / REDIS_URL are set)")
    env = {**os.environ, **embedded.start(), "DJANGO_SETTINGS_MODULE": "helpdesk.settings"}
    env.setdefault("SITE_URL", f"http://{args.host}:{args.port}")
    # Outgoing demo mail lands in files rather than flooding the console; point EMAIL_* at SMTP for real use.
    env.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    env.setdefault("EMAIL_FILE_PATH", str(args.data / "mail"))
    python = sys.executable
    processes: list[subprocess.Popen[bytes]] = []
    try:
        manage = [python, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
        subprocess.run([*manage, "collectstatic", "--no-input", "-v", "0"], env=env, check=True)
        if not args.no_seed:
            subprocess.run([*manage, "seed_demo"], env=env, check=True)
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
            lower = (lambda: os.nice(AI_NICE)) if name == "worker-ai" else None
            processes.append(subprocess.Popen(command, env=env, cwd=ROOT, preexec_fn=lower))
        base = f"http://{args.host}:{args.port}"
        print(
            f"\nHelpdesk is running.\n"
            f"  Agent app:    {base}/accounts/login/   (then /t/demo/)\n"
            f"  Help center:  {base}/h/demo/\n"
            f"  Chat page:    {base}/c/demo/\n"
            f"  API docs:     {base}/t/demo/api/docs/\n"
            f"  Sent e-mail:  {env['EMAIL_FILE_PATH']}\n"
            f"Press Ctrl-C to stop.\n",
            flush=True,
        )
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while True:
            for process in processes:
                if process.poll() is not None:
                    # Ctrl-C reaches the children first; only an unexpected exit is an error.
                    if process.returncode in (0, -signal.SIGINT, -signal.SIGTERM):
                        return 0
                    print(f"A process exited with {process.returncode}; stopping.", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\n==> Stopping")
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        embedded.stop()


if __name__ == "__main__":
    sys.exit(main())
