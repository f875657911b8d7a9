"""The address guard: a remote source may only reach public addresses unless the admin says so.

Hosts are resolved here once and the fetchers connect to the addresses returned, so a DNS
answer that changes between the check and the connection (rebinding) cannot slip through.

An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4,
Teredo) reaches that IPv4 address, so it is judged by it: ``[64:ff9b::7f00:1]`` is loopback.
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from contacthub.fetch.model import FetchError, FetchPolicy, HostNotFound

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Endpoints that hand out a machine's or a container's credentials. Neither allow_private
# opens them nor are they ever "public"; only an allowed_networks entry that names them does.
METADATA = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, Azure, Google Cloud, OpenStack, DigitalOcean, Oracle: IMDS
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "169.254.170.2",  # AWS ECS task role credentials
        "169.254.170.23",  # AWS EKS Pod Identity agent
        "fd00:ec2::23",  # AWS EKS Pod Identity agent over IPv6
        "fd20:ce::254",  # Google Cloud metadata server over IPv6
        "100.100.100.200",  # Alibaba Cloud ECS metadata
        "168.63.129.16",  # Azure WireServer (a public-looking address inside Azure)
    )
)
METADATA_REASON = "a cloud metadata address"

# IPv6 prefixes whose addresses are translated to the IPv4 address in their last 32 bits:
# the NAT64 well-known prefix (RFC 6052) and IPv4-translated addresses (RFC 2765).
TRANSLATED = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::ffff:0:0:0/96"))
# The local-use NAT64 prefix (RFC 8215): a network puts its own /48 to /96 prefix inside it,
# so the IPv4 address may sit at any of the RFC 6052 positions for those lengths.
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
LOCAL_NAT64_LENGTHS = (96, 64, 56, 48)  # the usual /96 first


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address *address* carries, in any of the forms that route to it."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)  # the Teredo server and the client behind it
    # ipaddress has no property for NAT64, IPv4-translated or IPv4-compatible (::a.b.c.d)
    # addresses: their IPv4 bits are taken here by hand. :: and ::1 are themselves.
    number = int(address)
    if any(address in prefix for prefix in TRANSLATED) or (number >> 32 == 0 and number > 1):
        found.append(ipaddress.IPv4Address(number & 0xFFFFFFFF))
    if address in LOCAL_NAT64:
        decoded = (_rfc6052(number, length) for length in LOCAL_NAT64_LENGTHS)
        # 0.0.0.0 is what a position holds when the network uses another prefix length.
        found.extend(ipv4 for ipv4 in decoded if int(ipv4) != 0)
    return list(dict.fromkeys(found))


def _rfc6052(number: int, length: int) -> ipaddress.IPv4Address:
    """The IPv4 address after a NAT64 prefix of *length* bits (RFC 6052, section 2.2): the
    32 bits that follow the prefix, skipping bits 64 to 71 (the "u" octet)."""
    if length == 96:
        return ipaddress.IPv4Address(number & 0xFFFFFFFF)
    without_u = ((number >> 64) << 56) | (number & ((1 << 56) - 1))  # 120 bits
    return ipaddress.IPv4Address((without_u >> (120 - length - 32)) & 0xFFFFFFFF)


def refusal(address: IPAddress, policy: FetchPolicy) -> str | None:
    """Why *address* may not be fetched from under *policy*, or None when it may."""
    refused = _refused(address, policy)
    return None if refused is None else refused[1]


def _refused(address: IPAddress, policy: FetchPolicy) -> tuple[IPAddress, str] | None:
    """The address judged and why it is refused: *address*, or an IPv4 address it carries."""
    if _named(address, policy):
        return None
    carried: list[IPAddress] = []
    if isinstance(address, ipaddress.IPv6Address):
        carried.extend(embedded_ipv4(address))
    for judged in carried or [address]:
        reason = _refusal(judged, policy)
        if reason is not None:
            return judged, reason
    return None


def _refusal(address: IPAddress, policy: FetchPolicy) -> str | None:
    if _named(address, policy):
        return None
    if address in METADATA:
        return METADATA_REASON
    if address.is_global and not address.is_multicast:
        return None
    if policy.allow_private and not address.is_link_local:
        return None
    for kind in ("loopback", "link_local", "unspecified", "multicast", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "reserved"


def _named(address: IPAddress, policy: FetchPolicy) -> bool:
    """Whether an entry of allowed_networks opens *address* (the admin's explicit choice)."""
    return any(
        address in ipaddress.ip_network(net, strict=False) for net in policy.allowed_networks
    )


def check_address(address: str, host: str, policy: FetchPolicy) -> None:
    """Raise FetchError when *address* (one that *host* resolved to) is refused."""
    parsed = ipaddress.ip_address(address)
    refused = _refused(parsed, policy)
    if refused is None:
        return
    judged, reason = refused
    logger.warning("address guard: refused host %s at %s (%s)", host, address, reason)
    what = f"address {address} of host {host}"
    if judged != parsed:
        what += f" carries {judged}, which"
    where = policy.config_file or "DATA_DIR/contacthub.conf"
    if reason == METADATA_REASON or policy.allow_private:
        raise FetchError(
            f"{what} is {reason}; only [fetch] allowed_networks naming it in {where} opens it"
        )
    raise FetchError(
        f"{what} is {reason}; to fetch from it, set [fetch] allow_private = true, or name its "
        f"network in [fetch] allowed_networks, in {where}"
    )


def resolve(host: str, port: int, policy: FetchPolicy) -> list[str]:
    """Every address *host* resolves to, each checked by the guard, in resolver order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise HostNotFound(f"host {host} not found") from exc
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    for address in addresses:
        check_address(address, host, policy)
    if not addresses:
        raise HostNotFound(f"host {host} not found")
    return addresses
