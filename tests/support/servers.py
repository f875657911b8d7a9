"""Real DAV servers for tests and benchmarks: ``contacthub serve`` and plain Radicale.

Both run as subprocesses bound to 127.0.0.1 on a free port, are polled until they
accept requests, and are stopped with SIGTERM (``stop()`` checks the exit code).

    with ContacthubServer(tmp_path / "data", users={"alice": "alice-Secret-1"}) as server:
        s = server.session("alice")
        s.request("PROPFIND", "/alice/", headers={"Depth": "0"})

``RadicaleServer`` runs Radicale 3.9 with its own multifilesystem storage and
htpasswd/bcrypt users, so the same requests can be compared side by side.
"""

from __future__ import annotations

import collections
import configparser
import json
import os
import re
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import requests
from click.testing import CliRunner

from contacthub.cli import main as contacthub_main
from contacthub.firstrun import prepare_data_dir
from tests.support.commands import contacthub_command
from tests.support.net import LOOPBACK, free_port, port_open, wait_until
from tests.support.stores import new_sqlite_store

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0

ConfigSections = Mapping[str, Mapping[str, str]]


class DavSession(requests.Session):
    """A requests session bound to one server and one user; paths may be relative."""

    def __init__(self, base_url: str, auth: tuple[str, str] | None) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.auth = auth

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any):  # type: ignore[override]
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", 60)
        return super().request(method, url, *args, **kwargs)


def write_ini(path: Path, sections: ConfigSections) -> Path:
    parser = configparser.ConfigParser(interpolation=None)
    for section, values in sections.items():
        parser[section] = {key: str(value) for key, value in values.items()}
    with open(path, "w") as fh:
        parser.write(fh)
    return path


class _Process:
    """A subprocess whose merged stdout/stderr is collected line by line."""

    def __init__(
        self,
        argv: list[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        own_session: bool = False,
    ):
        self.argv = argv
        self.log_path = log_path
        self.lines: collections.deque[str] = collections.deque(maxlen=5000)
        self._cond = threading.Condition()
        full_env = dict(os.environ)
        full_env["PYTHONUNBUFFERED"] = "1"
        if env:
            full_env.update(env)
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=full_env,
            start_new_session=own_session,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        with open(self.log_path, "a", encoding="utf-8") as log:
            for line in self.popen.stdout:
                log.write(line)
                log.flush()
                with self._cond:
                    self.lines.append(line.rstrip("\n"))
                    self._cond.notify_all()

    def find(self, pattern: str) -> re.Match[str] | None:
        regex = re.compile(pattern)
        with self._cond:
            for line in self.lines:
                match = regex.search(line)
                if match:
                    return match
        return None

    def exited(self) -> str | None:
        code = self.popen.poll()
        if code is None:
            return None
        self._reader.join(timeout=5)
        return f"process exited with code {code}:\n{self.tail()}"

    def tail(self, n: int = 60) -> str:
        with self._cond:
            return "\n".join(list(self.lines)[-n:])

    def terminate(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, wait; SIGKILL if it does not stop in time. Returns the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
                self._reader.join(timeout=5)
                raise AssertionError(
                    f"{self.argv[0]} did not stop within {timeout:.0f} s of SIGTERM:\n"
                    + self.tail()
                ) from None
        self._reader.join(timeout=5)
        return self.popen.returncode


class DavServer:
    """Common surface of the servers: ``url``, ``users``, ``session()``, start/stop."""

    name = "dav"

    def __init__(self, users: Mapping[str, str], host: str = LOOPBACK, port: int | None = None):
        self.users: dict[str, str] = dict(users)
        self.host = host
        self.port = port or free_port(host)
        self._proc: _Process | None = None
        # Sessions handed out, closed before stopping: an idle keep-alive connection
        # can hold up a server's shutdown (Radicale waits for its client threads).
        self._sessions: weakref.WeakSet[DavSession] = weakref.WeakSet()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def session(self, user: str | None = "alice", password: str | None = None) -> DavSession:
        """A session authenticated as *user* (None: anonymous)."""
        if user is None:
            session = DavSession(self.url, None)
        else:
            if password is None:
                password = self.users[user]
            session = DavSession(self.url, (user, password))
        self._sessions.add(session)
        return session

    def log_tail(self, n: int = 60) -> str:
        return self._proc.tail(n) if self._proc else ""

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.popen.poll() is None

    @property
    def pid(self) -> int:
        """The running server's process id."""
        assert self._proc is not None, f"{self.name} is not running"
        return self._proc.popen.pid

    def start(self) -> DavServer:
        raise NotImplementedError

    def stop(self, check: bool = True) -> int | None:
        """Stop with SIGTERM; with *check*, assert a clean exit (code 0)."""
        if self._proc is None:
            return None
        for session in list(self._sessions):
            session.close()
        proc, self._proc = self._proc, None
        code = proc.terminate()
        if check:
            assert code == 0, f"{self.name} exited with code {code} after SIGTERM:\n{proc.tail()}"
        return code

    def __enter__(self) -> DavServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Do not mask the original error with a failed exit-code check.
        self.stop(check=exc_type is None)


DEFAULT_CONF = "contacthub.conf"


class ContacthubServer(DavServer):
    """``contacthub serve`` on a free loopback port with a private data directory.

    *users* are created with ``contacthub user add`` (password on stdin) before the
    first start. *store_url* is passed as ``--store``; *config* (INI sections, e.g.
    ``{"store": {"history_retention": "1"}}``) is written to a file and passed as
    ``--config``.
    """

    name = "contacthub serve"

    def __init__(
        self,
        data_dir: Path,
        users: Mapping[str, str],
        store_url: str | None = None,
        config: ConfigSections | None = None,
        admins: tuple[str, ...] = (),
        host: str = LOOPBACK,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        own_session: bool = False,
    ) -> None:
        super().__init__(users, host, port)
        self.data_dir = Path(data_dir)
        self.env = env  # more environment variables for `serve`
        # As systemd starts a unit: a session (and so, with autogroup, a CPU share) of its own.
        self.own_session = own_session
        self.store_url = store_url
        self.config = config
        self.admins = admins
        # The first admin account, when this start created it (printed once).
        self.admin_user: str | None = None
        self.admin_password: str | None = None
        self.work_dir = self.data_dir.parent / f"{self.data_dir.name}.work"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.work_dir / "serve.log"
        self.config_path: Path | None = None
        if config:
            self.config_path = write_ini(self.work_dir / "test.conf", config)
        self._users_created = False

    def cli(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run ``contacthub ARGS --data-dir D [--config F]``; return the completed process."""
        argv = [*contacthub_command(), *args, "--data-dir", str(self.data_dir)]
        if self.config_path:
            argv += ["--config", str(self.config_path)]
        proc = subprocess.run(
            argv, input=input, capture_output=True, text=True, timeout=120, check=False
        )
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def login(self, user: str) -> str:
        """The account a test's user name stands for: itself (a shared server's view,
        tests/admin/shared_server.py, names the test's own account)."""
        return user

    def add_user(self, name: str, password: str, admin: bool = False) -> None:
        """``contacthub user add`` (password on stdin), run in this process: the command's
        own code, without the second or more a new interpreter takes to import it."""
        argv = ["user", "add", name, "--data-dir", str(self.data_dir)]
        argv += ["--admin"] if admin else []
        argv += ["--config", str(self.config_path)] if self.config_path else []
        result = CliRunner().invoke(contacthub_main, argv, input=password + "\n")
        if result.exit_code != 0:
            raise RuntimeError(
                f"contacthub {' '.join(argv)} failed ({result.exit_code}):\n{result.output}"
            ) from result.exception
        self.users[name] = password

    def _store_at_head(self) -> None:
        """The data directory's SQLite store, as its first `user add` would migrate it,
        copied from one at head (tests/support/stores.py)."""
        database = self.data_dir / "contacthub.db"
        elsewhere = self.store_url or "url" in (self.config or {}).get("store", {})
        if not elsewhere and not database.exists():
            new_sqlite_store(database)

    def start(self) -> ContacthubServer:
        if not self._users_created:
            if self.users:  # before the first start: its data directory, as serve makes it
                prepare_data_dir(self.data_dir, self.config_path or self.data_dir / DEFAULT_CONF)
                self._store_at_head()
            for user, password in self.users.items():
                self.add_user(user, password, admin=user in self.admins)
            self._users_created = True
        argv = [
            *contacthub_command(),
            "serve",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        if self.store_url:
            argv += ["--store", self.store_url]
        if self.config_path:
            argv += ["--config", str(self.config_path)]
        self._proc = proc = _Process(argv, self.log_path, self.env, self.own_session)
        ready = f"listening on http://{re.escape(self.host)}:{self.port}"
        try:
            wait_until(
                lambda: proc.find(ready) is not None and port_open(self.host, self.port),
                START_TIMEOUT,
                f"{self.name} to print '{ready}'",
                abort=proc.exited,
            )
        except BaseException:
            self._proc = None
            try:
                proc.terminate(timeout=5)
            except AssertionError:
                pass
            raise
        # The first start's framed notice: "|   user:        root" and "|   password:    PW".
        password = proc.find(r"\|\s+password:\s+(\S+)")
        if password:
            account = proc.find(r"\|\s+user:\s+(\S+)")
            self.admin_password = password.group(1)
            self.admin_user = account.group(1) if account else "admin"
            self.users.setdefault(self.admin_user, self.admin_password)
        return self


class RadicaleServer(DavServer):
    """Radicale 3.9 with its own multifilesystem storage, for side-by-side runs.

    Users live in an htpasswd file with bcrypt hashes. With *predefined_contacts*
    every user gets an address book ``/USER/contacts/`` ("Contacts") on first login,
    like contacthub's default book. *config* overrides Radicale INI options (Radicale's
    sleep after a refused login or a server error is off unless it sets one).
    """

    name = "radicale"

    def __init__(
        self,
        base_dir: Path,
        users: Mapping[str, str],
        config: ConfigSections | None = None,
        predefined_contacts: bool = True,
        bcrypt_rounds: int = 12,
        host: str = LOOPBACK,
        port: int | None = None,
    ) -> None:
        super().__init__(users, host, port)
        self.base_dir = Path(base_dir)
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.base_dir / "collections"
        self.log_path = self.base_dir / "radicale.log"
        self.htpasswd_path = self.base_dir / "users"
        self.config_path = self.base_dir / "radicale.conf"
        self.bcrypt_rounds = bcrypt_rounds
        sections: dict[str, dict[str, str]] = {
            # Radicale sleeps 1 s before each 401/403 and each 5xx it answers; the
            # comparisons make many on purpose, and none of them is about the sleep.
            "server": {"hosts": f"{host}:{self.port}", "delay_on_error": "0"},
            "auth": {
                "type": "htpasswd",
                "htpasswd_filename": str(self.htpasswd_path),
                "htpasswd_encryption": "bcrypt",
                "delay": "0",
            },
            "rights": {"type": "owner_only"},
            "storage": {"type": "multifilesystem", "filesystem_folder": str(self.data_dir)},
            "web": {"type": "none"},
            "logging": {"level": "warning"},
        }
        if predefined_contacts:
            sections["storage"]["predefined_collections"] = json.dumps(
                {"contacts": {"tag": "VADDRESSBOOK", "D:displayname": "Contacts"}}
            )
        for section, values in (config or {}).items():
            sections.setdefault(section, {}).update(values)
        write_ini(self.config_path, sections)

    def write_users(self) -> None:
        import bcrypt

        lines = []
        for user, password in self.users.items():
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(self.bcrypt_rounds))
            lines.append(f"{user}:{hashed.decode()}\n")
        self.htpasswd_path.write_text("".join(lines))

    def start(self) -> RadicaleServer:
        self.write_users()
        argv = [sys.executable, "-m", "radicale", "--config", str(self.config_path)]
        self._proc = proc = _Process(argv, self.log_path)

        def ready() -> bool:
            if not port_open(self.host, self.port):
                return False
            return requests.get(self.url + "/.web/", timeout=5).status_code < 500

        try:
            wait_until(ready, START_TIMEOUT, "radicale to listen", abort=proc.exited)
        except BaseException:
            self._proc = None
            try:
                proc.terminate(timeout=5)
            except AssertionError:
                pass
            raise
        return self


def wait_for_log(server: DavServer, pattern: str, timeout: float = 10.0) -> re.Match[str]:
    """Wait until the server's output contains *pattern*; return the match."""
    proc = server._proc
    assert proc is not None, "server not running"
    found: list[re.Match[str]] = []

    def seen() -> bool:
        match = proc.find(pattern)
        if match:
            found.append(match)
        return bool(match)

    wait_until(seen, timeout, f"log line matching {pattern!r}")
    return found[0]


__all__ = [
    "ContacthubServer",
    "DavServer",
    "DavSession",
    "RadicaleServer",
    "contacthub_command",
    "wait_for_log",
    "write_ini",
]
