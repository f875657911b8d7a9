"""A private Dovecot IMAP server for tests, started from the machine's own binary.

It listens on 127.0.0.1 only (or the loopback address given), on two free ports (or the ports
given): ``imap_port`` (plain, STARTTLS offered) and ``imaps_port`` (implicit TLS), with a
certificate for localhost / 127.0.0.1 (and the names asked for) from the test CA
(tests/fetch/certs.py). Users live in passwd-files (one per user, written by
``add_user()``) and their mail in maildirs, all under a private temporary directory. The
mailbox ``SENT_FOLDER`` carries the \\Sent SPECIAL-USE attribute under a name a client
would not guess ("Sent", "Sent Items", ...).

    with DovecotServer(certificates) as server:
        server.add_user("ann@example.org", "pw")
        with server.client("ann@example.org") as client:  # logged-in imaplib client
            server.append(client, "INBOX", message_bytes)

As root, Dovecot's login and internal processes run as the Debian package's ``dovenull``
and ``dovecot`` users and the mail as ``nobody`` (Dovecot refuses mail access as UID 0);
as any other user, every process runs as that user. The configuration is written in the
dialect of the installed Dovecot: 2.3 (Debian 12) or 2.4 (Debian 13).
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from contacthub.sources.imap.connection import quote_mailbox
from tests.fetch.certs import CertificateFiles
from tests.support.net import LOOPBACK, free_port, wait_until

SENT_FOLDER = "Éléments envoyés"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0

# Settings whose names differ between Dovecot 2.3 (Debian 12) and 2.4 (Debian 13). The 2.4
# variant follows the 2.4 documentation; the tests have run against 2.3.
_HEADER = {
    "2.3": "",
    "2.4": "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n",
}
_VERSIONED = {
    "2.3": """\
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users/%u
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={base}/home/%u
}}
mail_location = maildir:{base}/mail/%u
""",
    "2.4": """\
ssl_server_cert_file = {cert}
ssl_server_key_file = {key}
auth_allow_cleartext = yes
passdb passwd-file {{
  default_password_scheme = PLAIN
  passwd_file_path = {base}/users/%{{user}}
}}
userdb static {{
  fields {{
    uid = {mail_uid}
    gid = {mail_gid}
    home = {base}/home/%{{user}}
  }}
}}
mail_driver = maildir
mail_path = {base}/mail/%{{user}}
""",
}
_COMMON = """\
# contacthub test server: written by tests/support/dovecot.py
base_dir = {base}/run
state_dir = {base}/state
instance_name = contacthub-test-{imap_port}
protocols = imap
listen = {host}
log_path = {base}/dovecot.log
auth_verbose = yes
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {mail_uid}
first_valid_gid = {mail_gid}
ssl = yes
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login
# Dovecot waits 2 s after a failed login by default; the error tests fail on purpose.
auth_failure_delay = 0
# Passwords are in one passwd-file per user (add_user()): Dovecot re-reads a changed
# passwd-file at most once a second, too late for a user added just before logging in.
{versioned}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox "{sent}" {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}

protocol imap {{
  mail_max_userip_connections = 200
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No growing delays after the failed logins the error tests make on purpose.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def config_text(version: str, **values: object) -> str:
    """dovecot.conf for *version* ("2.3" or "2.4") with *values* filled in."""
    versioned = _VERSIONED[version].format(**values)
    return _HEADER[version] + _COMMON.format(versioned=versioned, **values)


def dovecot_version(binary: str) -> str:
    """ "2.3" or "2.4": the configuration dialect of the installed Dovecot."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    match = re.match(r"(\d+)\.(\d+)", out.stdout.strip())
    if match is None:
        raise RuntimeError(f"cannot tell the version of {binary}: {out.stdout}{out.stderr}")
    version = (int(match.group(1)), int(match.group(2)))
    if version < (2, 3):
        raise RuntimeError(f"Dovecot {out.stdout.strip()} is too old: the tests need 2.3 or 2.4")
    return "2.3" if version < (2, 4) else "2.4"


def find_dovecot() -> str:
    """The dovecot binary: on PATH, else Debian's /usr/sbin/dovecot."""
    found = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError(
            "dovecot not found: install the Debian package 'dovecot-imapd' "
            "(./run-tests and .ci/run do when run as root)"
        )
    return found


class DovecotServer:
    """A private Dovecot; ``start()``, ``add_user()``, ``client()``, ``stop()``."""

    def __init__(
        self,
        certificates: CertificateFiles,
        host: str = LOOPBACK,
        ports: tuple[int, int] | None = None,
    ) -> None:
        """``ports``: (imap_port, imaps_port), else two free ones."""
        self.host = host
        self.binary = find_dovecot()
        self.certificates = certificates
        self.base = Path(tempfile.mkdtemp(prefix="contacthub-dovecot-"))
        self.config_file = self.base / "dovecot.conf"
        self.log_file = self.base / "dovecot.log"
        self.users_dir = self.base / "users"
        self.imap_port, self.imaps_port = ports or (free_port(host), free_port(host))
        self.passwords: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None

    # -- process control --------------------------------------------------------------------
    def start(self) -> DovecotServer:
        if os.geteuid() == 0:
            login_user, internal_user = _system_user("dovenull"), _system_user("dovecot")
            internal_group = "dovecot"
            mail = pwd.getpwnam("nobody")
            mail_uid, mail_gid = mail.pw_uid, grp.getgrnam("nogroup").gr_gid
        else:
            login_user = internal_user = pwd.getpwuid(os.geteuid()).pw_name
            internal_group = grp.getgrgid(os.getegid()).gr_name
            mail_uid, mail_gid = os.geteuid(), os.getegid()
        # The login, auth and mail processes run as other users: they must reach their files.
        self.base.chmod(0o755)
        for name in ("mail", "home"):
            (self.base / name).mkdir()
            os.chown(self.base / name, mail_uid, mail_gid)
        self.users_dir.mkdir(mode=0o755)
        self.config_file.write_text(
            config_text(
                dovecot_version(self.binary),
                base=self.base,
                host=self.host,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
                login_user=login_user,
                internal_user=internal_user,
                internal_group=internal_group,
                mail_uid=mail_uid,
                mail_gid=mail_gid,
                cert=self.certificates.cert_file,
                key=self.certificates.key_file,
                sent=SENT_FOLDER,
            )
        )
        self._process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.config_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                self._ready,
                START_TIMEOUT,
                f"Dovecot on {self.host}:{self.imap_port}",
                abort=self._exited,
            )
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        for port in (self.imap_port, self.imaps_port):
            try:
                with _plain_or_tls(self, port) as client:
                    client.noop()
            except (OSError, imaplib.IMAP4.error):
                return False
        return True

    def _exited(self) -> str | None:
        assert self._process is not None
        if self._process.poll() is None:
            return None
        stdout = self._process.stdout
        output = stdout.read().decode(errors="replace") if stdout is not None else ""
        return f"dovecot exited with {self._process.returncode}:\n{output}\n{self.log()}"

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def stop(self) -> None:
        try:
            if self._process is not None and self._process.poll() is None:
                self._process.send_signal(signal.SIGTERM)
                try:
                    self._process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            if self._process is not None and self._process.stdout:
                self._process.stdout.close()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- users and mail ---------------------------------------------------------------------
    def add_user(self, username: str, password: str) -> None:
        if not re.fullmatch(r"[A-Za-z0-9._@+-]+", username) or ":" in password:
            raise ValueError(f"unsafe test user {username!r} or password")
        user_file = self.users_dir / username
        user_file.write_text(f"{username}:{{PLAIN}}{password}::::::\n")
        user_file.chmod(0o644)
        self.passwords[username] = password

    @contextmanager
    def client(self, username: str) -> Iterator[imaplib.IMAP4]:
        """A logged-in client over the plain port, logged out afterwards."""
        client = imaplib.IMAP4(self.host, self.imap_port, timeout=30)
        try:
            client.login(username, self.passwords[username])
            yield client
        finally:
            with suppress(OSError, imaplib.IMAP4.error):
                client.logout()

    @staticmethod
    def append(client: imaplib.IMAP4, folder: str, message: bytes) -> None:
        typ, data = client.append(quote_mailbox(folder), r"(\Seen)", None, message)
        if typ != "OK":
            raise RuntimeError(f"APPEND to {folder!r} failed: {data!r}")

    @staticmethod
    def recreate(client: imaplib.IMAP4, folder: str) -> None:
        """Delete *folder* and create it again, empty, with a new UIDVALIDITY."""
        for action in (client.delete, client.create):
            typ, data = action(quote_mailbox(folder))
            if typ != "OK":
                raise RuntimeError(f"{action.__name__} {folder!r} failed: {data!r}")


@contextmanager
def _plain_or_tls(server: DovecotServer, port: int) -> Iterator[imaplib.IMAP4]:
    if port == server.imaps_port:
        context = ssl.create_default_context(cafile=str(server.certificates.ca_file))
        # Whether TLS is served, for any name: the certificate need not name the address.
        context.check_hostname = False
        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(server.host, port, ssl_context=context, timeout=5)
    else:
        client = imaplib.IMAP4(server.host, port, timeout=5)
    try:
        yield client
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def _system_user(name: str) -> str:
    try:
        pwd.getpwnam(name)
    except KeyError as exc:
        raise RuntimeError(
            f"running as root, but there is no '{name}' system user to run Dovecot's "
            "processes as (install the Debian package 'dovecot-imapd')"
        ) from exc
    return name
