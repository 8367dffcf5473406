"""Shared fixtures: a fresh test database on real PostgreSQL (pgvector, RLS), tenants acme and globex.

Tests connect as the application role, exactly like the web and worker processes, so row-level security
is in force in every test. Rows are created inside ``tenant_context`` (the factories do this themselves).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from helpdesk.embedded import cluster_database_prepare
from tenants.models import Role, Tenant, User
from tenants.rls import tenant_context
from tests.factories import MembershipFactory, TenantFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent

# No models are loaded at process start (ai/backends/warmup.py): each test loads what it uses, and the servers and
# workers below come up at once (_process_env gives them AI_WARM_UP=0). Set before any test module imports
# helpdesk.asgi, which would start the web process's warm-up; tests/reliability/test_warm_up.py turns it on.
settings.AI_WARM_UP = False


def _conninfo(alias: str, dbname: str) -> str:
    db = settings.DATABASES[alias]
    parts = {"dbname": dbname, "user": db["USER"], "password": db["PASSWORD"], "host": db["HOST"], "port": db["PORT"]}
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker: Any) -> Iterator[None]:
    """Create test_<name> as the owner, migrate it as the owner, then run every test as the application role."""
    base_name = str(settings.DATABASES["default"]["NAME"])
    test_name = f"test_{base_name}_{os.getpid()}"
    _drop_test_database(base_name, test_name)
    # On a Citus cluster (python -m helpdesk.embedded exec --cluster N) the database is made on every node.
    cluster_database_prepare(os.environ["DATABASE_OWNER_URL"], _worker_urls(), test_name)
    if _worker_urls():
        with psycopg.connect(_conninfo("owner", test_name), autocommit=True) as owner:
            # Transactional tests empty every shard after each test; 2 shards per worker instead of 4 halves that.
            owner.execute(f'ALTER DATABASE "{test_name}" SET citus.shard_count = 4')  # type: ignore[arg-type]
    for alias in ("default", "owner"):
        connections[alias].close()
        settings.DATABASES[alias]["NAME"] = test_name
        connections[alias].settings_dict["NAME"] = test_name
    os.environ["HELPDESK_TEST_DATABASE"] = test_name
    with django_db_blocker.unblock():
        call_command("migrate", database="owner", verbosity=0)
        with connections["owner"].cursor() as cursor:
            # Test-only: transactional tests empty the tables with TRUNCATE between tests. Production never
            # grants it, because TRUNCATE ignores row-level security.
            cursor.execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {settings.DATABASE_APP_ROLE}")
        connections["owner"].close()
    yield
    for alias in ("default", "owner"):
        connections[alias].close()
    _drop_test_database(base_name, test_name)


def _worker_urls() -> list[str]:
    return os.environ.get("CLUSTER_WORKER_URLS", "").split()


def _drop_test_database(base_name: str, test_name: str) -> None:
    with psycopg.connect(_conninfo("owner", base_name), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{test_name}" WITH (FORCE)')  # type: ignore[arg-type]
    for url in _worker_urls():
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as worker:
            worker.execute(f'DROP DATABASE IF EXISTS "{test_name}" WITH (FORCE)')  # type: ignore[arg-type]


@pytest.fixture(scope="session", autouse=True)
def _database_first(django_db_setup: None) -> None:
    """Build the test database before any session fixture starts an event loop (Playwright's does)."""


@pytest.fixture(scope="session", autouse=True)
def _test_client_host() -> None:
    """Django's test client sends Host "testserver" (pytest-django adds it to ALLOWED_HOSTS, which this project
    leaves open for tenants.middleware.HostMiddleware to check against SERVED_HOSTS)."""
    from django.conf import settings

    settings.SERVED_HOSTS = [*settings.SERVED_HOSTS, "testserver"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Each test starts with empty request budgets: the suite logs in and searches from one address far faster
    than a person, and a budget spent by one test must not fail the next (tests/security tests the limits)."""
    from helpdesk.redis_client import client, make_key

    redis = client()
    for key in redis.scan_iter(match=make_key("rl:*"), count=1000):
        redis.delete(key)


@pytest.fixture
def acme(db: None) -> Tenant:
    return TenantFactory(slug="acme", name="Acme Inc.")


@pytest.fixture
def globex(db: None) -> Tenant:
    return TenantFactory(slug="globex", name="Globex Corp.")


@pytest.fixture
def alice(acme: Tenant) -> User:
    """Owner of acme."""
    user = UserFactory(email="alice@acme.test", name="Alice")
    MembershipFactory(tenant=acme, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def bob(acme: Tenant) -> User:
    """Agent of acme."""
    user = UserFactory(email="bob@acme.test", name="Bob")
    MembershipFactory(tenant=acme, user=user, role=Role.AGENT)
    return user


@pytest.fixture
def carol(globex: Tenant) -> User:
    """Owner of globex: must never see acme's things."""
    user = UserFactory(email="carol@globex.test", name="Carol")
    MembershipFactory(tenant=globex, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def in_acme(acme: Tenant) -> Iterator[Tenant]:
    """Run the test body as acme's unit of work (row-level security set to acme)."""
    with tenant_context(acme.id):
        yield acme


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start in time")


def _process_env() -> dict[str, str]:
    """Environment for server and worker processes: the same test database and Redis as the tests."""
    env = dict(os.environ)
    test_name = os.environ["HELPDESK_TEST_DATABASE"]
    for key in ("DATABASE_URL", "DATABASE_OWNER_URL"):
        if key in env:
            head, _, tail = env[key].partition("?")
            env[key] = head.rsplit("/", 1)[0] + "/" + test_name + ("?" + tail if tail else "")
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # lifted only for the browser tests' own thread
    env["HF_HUB_OFFLINE"] = "1"
    env["AI_WARM_UP"] = "0"
    return env


def _uvicorn(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )


@pytest.fixture(scope="session")
def asgi_server(django_db_setup: None) -> Iterator[str]:
    """The real ASGI server (uvicorn: HTTP + WebSocket) on loopback, over the test database."""
    port = free_port()
    process = _uvicorn(port, _process_env())
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def start_asgi_server(django_db_setup: None) -> Iterator[Callable[..., str]]:
    """Starts more real ASGI servers for this test, each with settings of its own given as environment variables:
    ``url = start_asgi_server(REQUEST_BODY_TIMEOUT_S="1")``. They stop when the test ends."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> str:
        port = free_port()
        processes.append(_uvicorn(port, {**_process_env(), **env}))
        _wait_for_port(port, processes[-1])
        return f"http://127.0.0.1:{port}"

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def celery_worker_process(django_db_setup: None) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker consuming both queues, over the test database and Redis. One per test: a worker left
    running would let the AI answer in later tests' chats."""
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-Q", "default,ai", "-c", "1",
         "--pool", "solo", "--loglevel", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=_process_env(),
    )
    time.sleep(1)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's Chromium (playwright install cannot download browsers here)."""
    return {
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's session keeps an event loop running in the main thread, which
    async (Channels) tests that came after it could not start their own loop beside. Before them, the tests that
    restart the database or Redis under the session (tests/reliability): connections pooled in threads of earlier
    async tests would otherwise meet the restart in later ones."""
    # A test that needs the other kind of database is left out (deselected, not skipped): the single-node and
    # the cluster run each report only what they ran.
    other_kind = "single_node" if _worker_urls() else "cluster"
    left_out = [item for item in items if item.get_closest_marker(other_kind)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]
    uses_browser = [item for item in items if "page" in getattr(item, "fixturenames", ()) or
                    item.get_closest_marker("browser")]
    restarts = [item for item in items if item.get_closest_marker("restarts") and item not in uses_browser]
    others = [item for item in items if item not in uses_browser and item not in restarts]
    items[:] = others + restarts + uses_browser


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Playwright's sync API runs an event loop in the test's thread, while the test's own ORM calls (and the
    database flush after it) stay synchronous: lift Django's async-safety check around browser tests only."""
    browser = item.get_closest_marker("browser") is not None or "page" in getattr(item, "fixturenames", ())
    if browser:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if browser:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


PUBLIC_ADDRESS = "93.184.216.34"


@pytest.fixture
def public_dns(monkeypatch) -> dict[str, list[str]]:
    """Plays DNS for destinations tenants choose (helpdesk/outbound.py): every name is a public address unless the
    test puts it in the returned table. Tests never depend on the network's resolver."""
    from helpdesk import outbound

    table: dict[str, list[str]] = {}
    monkeypatch.setattr(outbound, "resolve", lambda host, port: table.get(host, [PUBLIC_ADDRESS]))
    return table


@dataclass
class WebProcess:
    """A web process (uvicorn, as in ``asgi_server``) that a test may SIGKILL and start again on the same port, as a
    crash and its supervisor's restart would: browsers reconnect to the address they had."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = _uvicorn(self.port, _process_env())
        _wait_for_port(self.port, self.process)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def web_process(django_db_setup: None) -> Iterator[WebProcess]:
    """A started web process of this test alone (``asgi_server`` is shared by the session and must not die)."""
    web = WebProcess(port=free_port())
    web.start()
    try:
        yield web
    finally:
        web.stop()
