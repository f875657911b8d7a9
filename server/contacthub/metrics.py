"""/metrics: this process's instruments (measures.py) and figures of the store, in
Prometheus's text format (OpenMetrics when the scraper asks for it).

Who may read it: an admin account, by HTTP Basic with its own password (not an app
password), counted by the sign-in throttle like every other door; a non-admin gets 403.
Clients from `[metrics] allowed_networks` are let in without credentials. The client's
address is the one waitress hands on: behind `trusted_proxy`, the forwarded one.

The store's figures (contacts per account, the history's size) are two counting queries,
made at most once per `[metrics] figures_max_age` seconds (15) however many scrapers ask,
and skipped (logged) when the store does not answer, so a scrape still shows the process's
own counts.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from werkzeug.wrappers import Request, Response

from contacthub.config import IPNetwork, Settings
from contacthub.signin_throttle import SignInThrottle, Throttled
from contacthub.store import Store
from contacthub.web.auth import CHALLENGE, Authenticator

logger = logging.getLogger(__name__)

PATH = "/metrics"


class Metrics:
    """The WSGI app of /metrics."""

    def __init__(self, settings: Settings, store: Store, throttle: SignInThrottle) -> None:
        self.networks = settings.metrics_networks
        self.store = store
        self.throttle = throttle
        self.authenticator = Authenticator(settings.users_file)
        self.registry = CollectorRegistry()
        self.registry.register(_ProcessInstruments())
        self.registry.register(StoreFigures(store, settings.metrics_figures_max_age))

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.answer(Request(environ))(environ, start_response)

    def answer(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response("Only GET.\n", 405, {"Allow": "GET, HEAD"})
        refusal = None if allowed(request.remote_addr, self.networks) else self.refusal(request)
        if refusal is not None:
            return refusal
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        response = Response(encoder(self.registry), 200, content_type=content_type)
        response.headers["Cache-Control"] = "no-store"
        return response

    def refusal(self, request: Request) -> Response | None:
        """None for an admin's credentials; else the answer: 401, 403 or 429."""
        credentials = request.authorization
        if credentials is None or credentials.type != "basic" or not credentials.username:
            return Response("Sign in with an admin account.\n", 401, CHALLENGE)
        login, password = credentials.username, credentials.password or ""
        try:
            signed_in = self.throttle.check(
                request.remote_addr or "", login, lambda: self.authenticator.check(login, password)
            )
        except Throttled as throttled:
            return Response(f"{throttled}\n", 429, throttled.headers)
        if not signed_in:
            return Response("The user name or password is wrong.\n", 401, CHALLENGE)
        with self.store.read() as tx:
            is_admin = tx.is_admin(login)
        if not is_admin:
            return Response("Only an administrator may read the metrics.\n", 403)
        return None


def allowed(address: str | None, networks: tuple[IPNetwork, ...]) -> bool:
    if not address or not networks:
        return False
    try:
        client = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped is not None:
        client = client.ipv4_mapped
    return any(client in network for network in networks)


class _ProcessInstruments(Collector):
    """prometheus_client's default registry: measures.py's instruments, and the process's
    own (CPU, memory, open files) and Python's (garbage collection)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class StoreFigures(Collector):
    def __init__(self, store: Store, max_age: float) -> None:
        self.store = store
        self.max_age = max_age
        self._lock = threading.Lock()
        self._taken = -max_age
        self._figures: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        with self._lock:  # one query at a time; the others take its result
            if time.monotonic() - self._taken >= self.max_age:
                self._figures = self._read()
                self._taken = time.monotonic()
            yield from self._figures

    def _read(self) -> list[Metric]:
        started = time.perf_counter()
        try:
            with self.store.read() as tx:
                contacts = tx.contacts_per_account()
                versions = tx.version_count()
        except Exception:  # the scrape still gives the process's own counts
            logger.warning("metrics: the store's figures could not be read", exc_info=True)
            return []
        per_account = GaugeMetricFamily(
            "contacthub_contacts",
            "Contacts in each account's address books (group cards and the trash left out).",
            labels=["account"],
        )
        for account, count in sorted(contacts.items()):
            per_account.add_metric([account], count)
        history = GaugeMetricFamily(
            "contacthub_history_versions",
            "Versions of cards kept in the history (rows of its table).",
            value=versions,
        )
        took = GaugeMetricFamily(
            "contacthub_store_figures_duration_seconds",
            f"Seconds the store took to count the figures above (read at most once in "
            f"{self.max_age:g} seconds).",
            value=time.perf_counter() - started,
        )
        return [per_account, history, took]
