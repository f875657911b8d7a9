"""A throwaway PostgreSQL server started from the machine's own binaries.

The cluster lives in a private temporary directory and listens only on a Unix
socket inside it (``listen_addresses = ''``), with durability switched off for
speed. initdb refuses to run as root, so when the tests run as root the server
runs as the ``postgres`` system user (created by the Debian package).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "postgres"


def find_bindir() -> Path:
    """Locate the directory holding initdb, pg_ctl and postgres.

    ``$CONTACTHUB_TEST_PG_BINDIR`` wins; then ``pg_config --bindir``; then the newest
    ``/usr/lib/postgresql/*/bin`` (Debian's layout, where pg_config may come from libpq).
    """
    candidates: list[Path] = []
    override = os.environ.get("CONTACTHUB_TEST_PG_BINDIR")
    if override:
        candidates.append(Path(override))
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if out:
            candidates.append(Path(out))

    def version_key(path: str) -> tuple[int, ...]:
        match = re.search(r"/postgresql/([\d.]+)/", path)
        return tuple(int(p) for p in match.group(1).split(".")) if match else (0,)

    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version_key, reverse=True)
    candidates.extend(Path(p) for p in debian)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian "
        "package 'postgresql' (.ci/run does) or set CONTACTHUB_TEST_PG_BINDIR"
    )


class PostgresServer:
    """A private PostgreSQL cluster; ``start()``, ``create_database()``, ``stop()``."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.base = Path(tempfile.mkdtemp(prefix="contacthub-pg-"))
        self.data_dir = self.base / "data"
        self.socket_dir = self.base / "sock"
        self.log_file = self.base / "postgres.log"
        # Only names the socket file (no TCP listener); the default, so URLs need no port.
        self.port = 5432
        self._run_as: str | None = None
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError(
                    "running as root, but there is no 'postgres' system user to run "
                    "PostgreSQL as (install the Debian package 'postgresql')"
                ) from exc
            self._run_as = "postgres"
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        self._running = False

    # -- process control -------------------------------------------------------------
    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self._run_as is not None:
            kwargs.update(user=self._run_as, group=self._run_as, extra_groups=[])
        env = dict(os.environ, LC_ALL="C", LANG="C")
        proc = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            cwd=self.base,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            **kwargs,  # type: ignore[arg-type]
        )
        if proc.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(
                f"{args[0]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}"
            )
        return proc

    def start(self) -> PostgresServer:
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        settings = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "port": str(self.port),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "300",
            "log_min_messages": "warning",
        }
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write("\n# contacthub test cluster\n")
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")
        if self._run_as is None:
            self.socket_dir.mkdir(mode=0o700)
        else:
            subprocess.run(
                ["mkdir", "-m", "0700", str(self.socket_dir)],
                check=True,
                user=self._run_as,
                group=self._run_as,
                extra_groups=[],
            )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            "60",
            "start",
        )
        self._running = True
        return self

    def stop(self) -> None:
        try:
            if self._running:
                # Immediate: the cluster is deleted next, so the shutdown checkpoint a
                # fast stop writes (half a minute after a whole test session) is waste.
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
                self._running = False
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    # -- databases ------------------------------------------------------------------------
    def connect(self, dbname: str = "postgres"):  # type: ignore[no-untyped-def]
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=SUPERUSER,
            dbname=dbname,
            autocommit=True,
        )

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """Create a database, empty or a copy of *template* (a database of this server
        nobody is connected to), and return its SQLAlchemy URL."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        for given in (name, template or name):
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", given):
                raise ValueError(f"unsafe database name {given!r}")
        copied = f' TEMPLATE "{template}"' if template else ""
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copied}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL of *dbname*: ``postgresql+psycopg://postgres@/db?host=/sock``."""
        host = quote(str(self.socket_dir), safe="/")
        return f"postgresql+psycopg://{SUPERUSER}@/{dbname}?host={host}"

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
