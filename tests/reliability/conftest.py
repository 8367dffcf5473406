"""Parts of the system the reliability tests start, kill and restart for real: Celery workers, the embedded
PostgreSQL and the embedded Redis (both started by ``python -m helpdesk.embedded exec`` around the test run)."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connections

from tests.conftest import ROOT, _process_env

# Short enough that a dead worker's task comes back within the test, long enough for an answer to finish.
VISIBILITY_TIMEOUT_S = 8


@pytest.fixture
def start_worker() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start real Celery workers (both queues, one task at a time) that the test may SIGKILL; all are stopped at
    the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-Q", "default,ai", "-c", "1", "--pool",
             "solo", "--loglevel", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env={**_process_env(), "CELERY_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S), **env},
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(autouse=True)
def _empty_queues() -> None:
    """No task left over from an earlier test (whose rows are gone) runs in this one."""
    broker().delete("ai", "default", "unacked", "unacked_index")


def broker() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.2) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def postgres_outage(seconds: float) -> None:
    """Stop the embedded PostgreSQL (fast shutdown: sessions are cut), wait, and start it again as it was."""
    import psycopg

    # Straight to the server as its owner (the test's own connections are the application's role).
    with psycopg.connect(os.environ["DATABASE_OWNER_URL"].replace("postgres://", "postgresql://", 1)) as owner:
        data_dir = Path(str(owner.execute("SHOW data_directory").fetchone()[0]))  # type: ignore[index]
    connections.close_all()
    # postmaster.opts holds the server's own command line: the restart gets the same socket and settings.
    binary, *options = shlex.split((data_dir / "postmaster.opts").read_text())
    pg_ctl = str(Path(binary).with_name("pg_ctl"))
    as_owner = _as_owner_of(data_dir)
    subprocess.run([pg_ctl, "stop", "-D", str(data_dir), "-m", "fast", "-w"], check=True, capture_output=True,
                   preexec_fn=as_owner)
    time.sleep(seconds)
    server_options = " ".join(shlex.quote(o) for o in _without_data_dir(options))
    subprocess.run([pg_ctl, "start", "-D", str(data_dir), "-w", "-l", str(data_dir / "restart.log"), "-o",
                    server_options], check=True, capture_output=True, preexec_fn=as_owner)


def _without_data_dir(options: list[str]) -> list[str]:
    kept: list[str] = []
    skip = False
    for option in options:
        if skip:
            skip = False
        elif option == "-D":
            skip = True
        else:
            kept.append(option)
    return kept


def _as_owner_of(path: Path) -> Callable[[], None] | None:
    """PostgreSQL refuses to run as root; the embedded server runs as its data folder's owner."""
    stat = path.stat()
    if os.geteuid() != 0 or stat.st_uid == 0:
        return None

    def switch() -> None:
        os.setgid(stat.st_gid)
        os.setuid(stat.st_uid)

    return switch


@pytest.fixture(scope="session")
def restarted_redis() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Redis servers a test started in place of the embedded one; stopped when the session ends."""
    servers: list[subprocess.Popen[bytes]] = []
    yield servers
    for server in servers:
        server.terminate()
        server.wait(timeout=10)


def redis_restart(servers: list[subprocess.Popen[bytes]]) -> None:
    """Stop the embedded Redis as an orderly shutdown would (SIGTERM) and start it again with the same settings,
    port and data folder."""
    client = broker()
    info = client.info("server")
    pid, executable = int(info["process_id"]), str(info["executable"])
    config = {key: client.config_get(key)[key] for key in
              ("port", "bind", "dir", "appendonly", "appendfsync", "save", "maxclients")}
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: stopped(pid), 20, "Redis to stop")
    arguments = [part for key, value in config.items() for part in (f"--{key}", value)]
    servers.append(subprocess.Popen([executable, *arguments, "--loglevel", "warning"], cwd=config["dir"],
                                    stdout=subprocess.DEVNULL, start_new_session=True))
    wait_for(lambda: _listening(int(config["port"])), 20, "Redis to start")


def stopped(pid: int) -> bool:
    """Gone, or a zombie its parent (helpdesk.embedded) has not reaped yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False
