"""The address guard: a remote source may only reach public addresses unless the admin says so.

Hosts are resolved here once and the fetchers connect to the addresses returned, so a DNS
answer that changes between the check and the connection (rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from contacthub.fetch.model import FetchError, FetchPolicy

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance metadata endpoints hand out credentials; allow_private does not open them,
# only an explicit entry in allowed_networks does.
METADATA = (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"))


def refusal(address: IPAddress, policy: FetchPolicy) -> str | None:
    """Why *address* may not be fetched from under *policy*, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in ipaddress.ip_network(net, strict=False) for net in policy.allowed_networks):
        return None
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_global and not address.is_multicast:
        return None
    if policy.allow_private:
        return None
    for kind in ("loopback", "link_local", "unspecified", "multicast", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "reserved"


def check_address(address: str, host: str, policy: FetchPolicy) -> None:
    """Raise FetchError when *address* (one that *host* resolved to) is refused."""
    reason = refusal(ipaddress.ip_address(address), policy)
    if reason is None:
        return
    logger.warning("address guard: refused host %s at %s (%s)", host, address, reason)
    if reason == "a cloud metadata address":
        raise FetchError(f"address {address} of host {host} is {reason}; it is never fetched from")
    raise FetchError(
        f"address {address} of host {host} is {reason}; "
        "allow private addresses in the config to fetch from it"
    )


def resolve(host: str, port: int, policy: FetchPolicy) -> list[str]:
    """Every address *host* resolves to, each checked by the guard, in resolver order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"host {host} not found") from exc
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    for address in addresses:
        check_address(address, host, policy)
    if not addresses:
        raise FetchError(f"host {host} not found")
    return addresses
