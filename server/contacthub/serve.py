"""`contacthub serve`: the WSGI server (waitress) until Ctrl-C or SIGTERM.

It serves app.py's app: CardDAV, and the web sidecar under /api/; and, unless
`[contacthub] scheduler = false`, runs scheduled syncs in a thread of its own.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import waitress
from radicale import log as radicale_log

from contacthub.app import make_app
from contacthub.config import Settings
from contacthub.jobs.scheduler import Scheduler
from contacthub.sources.context import RunContext
from contacthub.store import Store

logger = logging.getLogger("contacthub")
SCHEDULER_GRACE = 10.0  # seconds a run in progress gets to finish at shutdown


def setup_logging(settings: Settings) -> None:
    level = settings.radicale.get("logging", {}).get("level", "info")
    radicale_log.setup()
    radicale_log.set_level(level, backtrace_on_debug=False)
    logging.getLogger("contacthub").setLevel(level.upper())


def serve(settings: Settings, store: Store, *, announce: bool = True) -> None:
    app = make_app(settings, store)
    server = waitress.create_server(
        app,
        host=settings.host,
        port=settings.port,
        threads=8,
        ident="contacthub",
        **_proxy_options(settings),
    )

    def stop(signum: int, _frame: FrameType | None) -> None:
        # waitress ends its loop and its worker threads on KeyboardInterrupt.
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    scheduling = threading.Event()
    scheduler = _start_scheduler(settings, store, scheduling) if settings.scheduler else None
    if announce:
        print(
            f"contacthub: listening on http://{settings.host}:{server.effective_port}/", flush=True
        )
    try:
        server.run()
    finally:
        server.close()
        scheduling.set()
        if scheduler is not None:
            # A run still going is left to its lease: the next scheduler to look
            # records it as interrupted, and the sync keeps its schedule.
            scheduler.join(timeout=SCHEDULER_GRACE)
        store.close()
        logger.info("stopped")


def _proxy_options(settings: Settings) -> dict[str, object]:
    """Believe the forwarding headers of the configured proxy only; waitress drops them
    from anybody else, so a client cannot claim to have come over TLS."""
    if settings.trusted_proxy is None:
        return {}
    return {
        "trusted_proxy": settings.trusted_proxy,
        "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for", "x-forwarded-host"},
        "clear_untrusted_proxy_headers": True,
    }


def _start_scheduler(settings: Settings, store: Store, stop: threading.Event) -> threading.Thread:
    scheduler = Scheduler(RunContext(store, settings))
    thread = threading.Thread(
        target=scheduler.run_forever, args=(stop,), name="scheduler", daemon=True
    )
    thread.start()
    return thread
