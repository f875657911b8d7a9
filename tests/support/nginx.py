"""Debian's nginx in front of `contacthub serve` processes, from deploy/nginx/contacthub.conf.

The example is the one source of truth: `render_config` takes its text and rewrites only
what a test machine must have otherwise (the backends' ports, the listening ports, the
certificate and the paths nginx writes), and wraps it in a main context that runs
without root's directories. Every rewrite must match, so an example that drifts from
what this module expects fails loudly instead of being half rewritten.

    cert, key = make_certificate(tmp_path)
    text = render_config([("127.0.0.1", 5232), ("127.0.0.1", 5233)], 8443, cert, key, tmp_path)
    with start_nginx(text, tmp_path) as nginx:
        requests.get(nginx.url + "/healthz", verify=str(cert))
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.net import LOOPBACK, free_port, port_open, wait_until

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "contacthub.conf"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

Backend = tuple[str, int]


def find_nginx() -> Path:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise RuntimeError("nginx not found: install the Debian package 'nginx' (.ci/run does)")


def make_certificate(directory: Path, host: str = LOOPBACK) -> tuple[Path, Path]:
    """A self-signed certificate for `host` (an IP address or a name): (cert, key) PEM
    files in `directory`. Clients trust it with `verify=str(cert)`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def render_config(
    backends: Sequence[Backend],
    listen_port: int,
    cert: Path,
    key: Path,
    work_dir: Path,
    *,
    http_port: int | None = None,
    example: Path = EXAMPLE,
    worker_processes: int = 1,
) -> str:
    """A whole nginx.conf: the example's directives in its http {} context, with its
    upstream servers replaced by `backends`, TLS on 127.0.0.1:`listen_port` with
    `cert`/`key`, its plain-HTTP redirect on 127.0.0.1:`http_port` (a free port when
    None), and the access log, error log, pid file and temporary files in `work_dir`."""
    if not backends:
        raise ValueError("nginx needs at least one backend")
    text = example.read_text()
    upstream = "".join(f"    server {host}:{port};\n" for host, port in backends)
    http_port = http_port or free_port()
    text = _rewrite(text, r"    server 127\.0\.0\.1:5232;\n", upstream)
    text = _rewrite(text, r"    listen \[::\]:80;\n", "")
    text = _rewrite(text, r"listen 80;", f"listen {LOOPBACK}:{http_port};")
    text = _rewrite(text, r"    listen \[::\]:443 ssl http2;\n", "")
    text = _rewrite(text, r"listen 443 ssl", f"listen {LOOPBACK}:{listen_port} ssl")
    text = _rewrite(text, r"ssl_certificate (\s*)\S+;", f"ssl_certificate \\g<1>{cert};")
    text = _rewrite(text, r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};")
    text = _rewrite(
        text, r"access_log /var/log/nginx/\S+ ", f"access_log {work_dir / 'access.log'} "
    )
    temp = work_dir / "temp"
    temp_paths = "".join(
        f"    {kind}_temp_path {temp / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, the workers would drop to a user that cannot reach a private temp dir.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    body = "".join(f"    {line}\n" if line else "\n" for line in text.splitlines())
    return (
        f"{user}worker_processes {worker_processes};\n"
        f"pid {work_dir / 'nginx.pid'};\n"
        f"error_log {work_dir / 'error.log'} warn;\n"
        "events {\n    worker_connections 1024;\n}\n"
        "http {\n"
        "    default_type application/octet-stream;\n"
        f"{temp_paths}"
        f"{body}"
        "}\n"
    )


def _rewrite(text: str, pattern: str, replacement: str) -> str:
    rewritten, count = re.subn(pattern, replacement, text)
    if count == 0:
        raise ValueError(f"{EXAMPLE.name}: nothing matches {pattern!r}; was the example changed?")
    return rewritten


class Nginx:
    """A running nginx (master in the foreground); `url` is its https:// address."""

    def __init__(self, conf: Path, work_dir: Path, listen_port: int) -> None:
        self.conf = conf
        self.work_dir = work_dir
        self.port = listen_port
        self.access_log = work_dir / "access.log"
        self.error_log = work_dir / "error.log"
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"

    def check(self) -> None:
        """`nginx -t` on the configuration: raises with nginx's own words when it fails."""
        proc = subprocess.run(self._argv("-t"), capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{proc.stderr}")

    def start(self) -> Nginx:
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.work_dir / "temp" / kind).mkdir(parents=True, exist_ok=True)
        self.check()
        log = open(self.work_dir / "nginx.out", "ab")
        self._popen = subprocess.Popen(
            self._argv("-g", "daemon off;"), stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        log.close()
        popen = self._popen
        wait_until(
            lambda: port_open(LOOPBACK, self.port),
            START_TIMEOUT,
            f"nginx to listen on {self.port}",
            abort=lambda: None if popen.poll() is None else self.log_tail(),
        )
        return self

    def stop(self) -> None:
        """SIGQUIT (finish the requests in progress, then exit); SIGKILL if that hangs."""
        popen, self._popen = self._popen, None
        if popen is None or popen.poll() is not None:
            return
        popen.send_signal(3)  # SIGQUIT: nginx's graceful shutdown
        try:
            popen.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()

    def log_tail(self, lines: int = 40) -> str:
        text = ""
        for path in (self.work_dir / "nginx.out", self.error_log):
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def _argv(self, *extra: str) -> list[str]:
        # -e: the error log before the configuration is read (Debian's default is in /var).
        error = str(self.error_log)
        return [
            str(find_nginx()),
            "-p",
            str(self.work_dir),
            "-c",
            str(self.conf),
            "-e",
            error,
            *extra,
        ]

    def __enter__(self) -> Nginx:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_nginx(config_text: str, work_dir: Path, listen_port: int) -> Nginx:
    """Write `config_text` (from render_config) to work_dir/nginx.conf, check it with
    `nginx -t` and start nginx; stop it with `.stop()` or use it as a context manager."""
    work_dir.mkdir(parents=True, exist_ok=True)
    conf = work_dir / "nginx.conf"
    conf.write_text(config_text)
    return Nginx(conf, work_dir, listen_port).start()
