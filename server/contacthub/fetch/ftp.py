"""FTP and explicit FTPS with ftplib: MDTM and SIZE first, then RETR under the size cap."""

from __future__ import annotations

import ftplib
import ssl
import time
from contextlib import suppress
from urllib.parse import unquote, urlsplit

from contacthub.fetch.guard import resolve
from contacthub.fetch.model import (
    FetchError,
    FetchLoginRefused,
    FetchPolicy,
    FetchResult,
    FetchState,
    RemoteSource,
    content_result,
    too_large,
)

BLOCK = 64 * 1024


class _Stop(Exception):
    """Raised from the RETR callback to abandon a transfer."""

    def __init__(self, error: FetchError) -> None:
        self.error = error


def fetch_ftp(
    source: RemoteSource, previous: FetchState | None, policy: FetchPolicy
) -> FetchResult:
    parts = urlsplit(source.url)
    host = parts.hostname or ""
    port = parts.port or 21
    # RFC 1738: the URL path is relative to the login directory ("%2F" starts at the root).
    path = unquote(parts.path[1:])
    if not path:
        raise FetchError(f"the URL for {host} names no file")
    addresses = resolve(host, port, policy)
    ftp = _client(source, policy)
    try:
        result = _session(ftp, source, previous, policy, addresses, host, port, path)
    except _Stop as stop:
        raise stop.error from None
    except ftplib.error_perm as exc:
        raise FetchError(f"FTP server {host} refused: {_reply(exc)}") from exc
    except (ftplib.error_temp, ftplib.error_reply, ftplib.error_proto) as exc:
        raise FetchError(f"FTP server {host} answered: {_reply(exc)}") from exc
    except ssl.SSLCertVerificationError as exc:
        detail = f" ({exc.verify_message})" if exc.verify_message else ""
        raise FetchError(f"certificate verify failed for host {host}{detail}") from exc
    except ssl.SSLError as exc:
        raise FetchError(f"TLS with {host}:{port} failed ({exc.reason or exc})") from exc
    except TimeoutError as exc:
        message = f"connection to {host}:{port} timed out after {policy.timeout:g} s"
        raise FetchError(message) from exc
    except ConnectionRefusedError as exc:
        raise FetchError(f"could not connect to {host}:{port}: connection refused") from exc
    except EOFError as exc:
        raise FetchError(f"FTP server {host} closed the connection") from exc
    except OSError as exc:
        raise FetchError(f"could not connect to {host}:{port} ({exc.strerror or exc})") from exc
    finally:
        ftp.close()
    return result


def _client(source: RemoteSource, policy: FetchPolicy) -> ftplib.FTP:
    if source.scheme == "ftps":
        context = ssl.create_default_context(cafile=policy.ca_bundle)
        return ftplib.FTP_TLS(context=context, timeout=policy.timeout)
    return ftplib.FTP(timeout=policy.timeout)


def _session(
    ftp: ftplib.FTP,
    source: RemoteSource,
    previous: FetchState | None,
    policy: FetchPolicy,
    addresses: list[str],
    host: str,
    port: int,
    path: str,
) -> FetchResult:
    deadline = time.monotonic() + policy.total_timeout
    _connect(ftp, addresses, port, policy)
    # ftplib checks the certificate against ftp.host, which connect() set to the address;
    # the name in the URL is what the certificate must carry.
    ftp.host = host
    # In passive mode ftplib ignores the address in the PASV reply and connects to the control
    # connection's peer (trust_server_pasv_ipv4_address), so data also goes to a checked address.
    ftp.set_pasv(source.passive)
    if isinstance(ftp, ftplib.FTP_TLS):
        try:
            ftp.auth()
        except ftplib.error_perm as exc:
            raise FetchError(f"FTP server {host} does not offer FTPS ({_reply(exc)})") from exc
    user, password = source.credentials()
    _login(ftp, user, password)
    if isinstance(ftp, ftplib.FTP_TLS):
        ftp.prot_p()
    ftp.voidcmd("TYPE I")
    mdtm = _query(ftp, f"MDTM {path}", host, path)
    size_reply = _query(ftp, f"SIZE {path}", host, path)
    size = int(size_reply) if size_reply and size_reply.isdigit() else None
    if (
        previous is not None
        and mdtm is not None
        and size is not None
        and (previous.mdtm, previous.size) == (mdtm, size)
    ):
        return FetchResult(unchanged=True, state=previous)
    if size is not None and size > policy.max_bytes:
        raise too_large(policy)
    content = _retrieve(ftp, path, policy, deadline, host, port)
    with suppress(*ftplib.all_errors):
        ftp.quit()
    return content_result(content, previous, mdtm=mdtm, size=size)


def _connect(ftp: ftplib.FTP, addresses: list[str], port: int, policy: FetchPolicy) -> None:
    """Connect to the first checked address that answers (never to a fresh DNS answer)."""
    for index, address in enumerate(addresses):
        try:
            ftp.connect(address, port, timeout=policy.timeout)
            return
        except TimeoutError:
            raise
        except OSError:
            if index + 1 == len(addresses):
                raise


def _login(ftp: ftplib.FTP, user: str | None, password: str | None) -> None:
    name = user or "anonymous"
    try:
        ftp.login(name, password or ("anonymous@" if not user else ""))
    except (ftplib.error_perm, ftplib.error_reply) as exc:
        if _reply(exc).startswith("530"):
            field = "password" if user else "username"
            raise FetchLoginRefused(f"FTP login failed for user {name}", field=field) from exc
        raise FetchError(f"FTP login failed for user {name}") from exc


def _query(ftp: ftplib.FTP, command: str, host: str, path: str) -> str | None:
    """The value of a 213 reply; None when the server does not support the command."""
    try:
        reply = ftp.sendcmd(command)
    except ftplib.error_perm as exc:
        if _reply(exc).startswith("550"):
            raise FetchError(f"FTP file {path} not found on host {host}") from exc
        return None
    code, _, value = reply.partition(" ")
    return value.strip() if code == "213" else None


def _retrieve(
    ftp: ftplib.FTP, path: str, policy: FetchPolicy, deadline: float, host: str, port: int
) -> bytes:
    body = bytearray()

    def take(block: bytes) -> None:
        body.extend(block)
        if len(body) > policy.max_bytes:
            raise _Stop(too_large(policy))
        if time.monotonic() > deadline:
            raise _Stop(
                FetchError(
                    f"the download from {host}:{port} took longer than {policy.total_timeout:g} s"
                )
            )

    try:
        ftp.retrbinary(f"RETR {path}", take, blocksize=BLOCK)
    except ftplib.error_perm as exc:
        if _reply(exc).startswith("550"):
            raise FetchError(f"FTP file {path} not found on host {host}") from exc
        raise
    return bytes(body)


def _reply(exc: BaseException) -> str:
    return str(exc).strip()
