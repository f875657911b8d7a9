"""Debian's Caddy in front of `contacthub serve` processes, from deploy/caddy/Caddyfile.

Like tests/support/nginx.py: the example is rewritten only where a test machine needs
other values (the site's address and port, the backends, a given certificate instead of
one from Let's Encrypt, the log file) and given global options that keep Caddy off
port 80, its admin endpoint and the user's home directory.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from tests.support.net import LOOPBACK, free_port, port_open, wait_until

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "caddy" / "Caddyfile"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

Backend = tuple[str, int]


def find_caddy() -> Path:
    for candidate in (shutil.which("caddy"), "/usr/bin/caddy"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise RuntimeError("caddy not found: install the Debian package 'caddy' (.ci/run does)")


def render_caddyfile(
    backends: Sequence[Backend],
    listen_port: int,
    cert: Path,
    key: Path,
    work_dir: Path,
    *,
    example: Path = EXAMPLE,
) -> str:
    """The example with its site at https://127.0.0.1:`listen_port` served with
    `cert`/`key`, its reverse_proxy to `backends`, its log and state in `work_dir`."""
    if not backends:
        raise ValueError("caddy needs at least one backend")
    text = example.read_text()
    upstreams = " ".join(f"{host}:{port}" for host, port in backends)
    text = _rewrite(
        text,
        r"^contacts\.example\.org \{\n",
        f"https://{LOOPBACK}:{listen_port} {{\n\ttls {cert} {key}\n",
    )
    text = _rewrite(text, r"reverse_proxy 127\.0\.0\.1:5232 \{", f"reverse_proxy {upstreams} {{")
    log = work_dir / "access.log"
    text = _rewrite(text, r"output file /var/log/caddy/\S+", f"output file {log}")
    options = (
        "{\n"
        "\tadmin off\n"
        "\tskip_install_trust\n"
        # Clients that connect to an IP address send no SNI: the site's certificate then.
        f"\tdefault_sni {LOOPBACK}\n"
        f"\thttp_port {free_port()}\n"
        f"\tstorage file_system {work_dir / 'state'}\n"
        "}\n\n"
    )
    return options + text


def _rewrite(text: str, pattern: str, replacement: str) -> str:
    rewritten, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if count == 0:
        raise ValueError(f"{EXAMPLE.name}: nothing matches {pattern!r}; was the example changed?")
    return rewritten


class Caddy:
    """A running `caddy run`; `url` is its https:// address."""

    def __init__(self, config: Path, work_dir: Path, listen_port: int) -> None:
        self.config = config
        self.work_dir = work_dir
        self.port = listen_port
        self.output = work_dir / "caddy.out"
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"

    def _env(self) -> dict[str, str]:
        home = str(self.work_dir / "home")
        return {"HOME": home, "XDG_DATA_HOME": home, "XDG_CONFIG_HOME": home, "PATH": "/usr/bin"}

    def _argv(self, command: str) -> list[str]:
        return [str(find_caddy()), command, "--config", str(self.config), "--adapter", "caddyfile"]

    def start(self) -> Caddy:
        checked = subprocess.run(
            self._argv("validate"), capture_output=True, text=True, env=self._env(), check=False
        )
        if checked.returncode != 0:
            raise RuntimeError(f"caddy validate failed:\n{checked.stderr}")
        with open(self.output, "ab") as log:
            self._popen = popen = subprocess.Popen(
                self._argv("run"), stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self._env()
            )
        wait_until(
            lambda: port_open(LOOPBACK, self.port),
            START_TIMEOUT,
            f"caddy to listen on {self.port}",
            abort=lambda: None if popen.poll() is None else self.output.read_text()[-4000:],
        )
        return self

    def stop(self) -> None:
        popen, self._popen = self._popen, None
        if popen is None or popen.poll() is not None:
            return
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()

    def __enter__(self) -> Caddy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_caddy(config_text: str, work_dir: Path, listen_port: int) -> Caddy:
    """Write `config_text` (from render_caddyfile) to work_dir/Caddyfile, validate it and
    start Caddy; stop it with `.stop()` or use it as a context manager."""
    work_dir.mkdir(parents=True, exist_ok=True)
    config = work_dir / "Caddyfile"
    config.write_text(config_text)
    return Caddy(config, work_dir, listen_port).start()
