"""`contacthub serve`: the WSGI server (waitress) until Ctrl-C or SIGTERM.

It serves app.py's app: CardDAV, and the web sidecar under /api/; and, unless
`[contacthub] scheduler = false`, runs scheduled syncs in a thread of its own.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import waitress
from radicale import log as radicale_log

from contacthub.app import make_app
from contacthub.config import Settings
from contacthub.jobs.scheduler import Scheduler
from contacthub.log_format import RequestIdFilter, drop_radicale_request_lines, use_json
from contacthub.sources.context import RunContext
from contacthub.store import Store

logger = logging.getLogger("contacthub")
SCHEDULER_GRACE = 10.0  # seconds a run in progress gets to finish at shutdown


def setup_logging(settings: Settings) -> None:
    level = settings.radicale.get("logging", {}).get("level", "info")
    with _radicale_quiet(level):
        radicale_log.setup()
        radicale_log.set_level(level, backtrace_on_debug=False)
    radicale_log.logger.addFilter(_drop_argon2_warning)
    if level.strip().lower() != "debug":
        radicale_log.logger.addFilter(drop_radicale_request_lines)
    logging.getLogger("contacthub").setLevel(level.upper())
    handlers = logging.getLogger().handlers
    for handler in handlers:
        handler.addFilter(RequestIdFilter())
    if settings.log_format == "json":
        use_json(handlers)


@contextmanager
def _radicale_quiet(level: str) -> Iterator[None]:
    """Radicale says each of its settings at INFO as it starts, some 60 lines in which the
    few that matter (our own: the data directory, the address, the admin password) were
    lost. At INFO they are left out; at DEBUG, where a person asked for detail, they stay.
    Warnings and errors pass, and Radicale's INFO lines of requests after the start too."""
    if level.strip().lower() == "info":
        radicale_log.logger.addFilter(_below_warning)
    try:
        yield
    finally:
        radicale_log.logger.removeFilter(_below_warning)


def _below_warning(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def _drop_argon2_warning(record: logging.LogRecord) -> bool:
    """Radicale's htpasswd auth with `autodetect` warns at every start that it "can require
    argon2 module, but currently no entries found" when argon2-cffi is not installed. It is
    harmless here: `contacthub user` writes bcrypt hashes only, and a users file that holds
    an argon2 hash without the module stops the start with Radicale's own error. Dropped so
    that the first start shows no warning that looks like a failure."""
    return "can require argon2 module, but currently no entries found" not in str(record.msg)


def serve(
    settings: Settings,
    store: Store,
    *,
    announce: bool = True,
    welcome: Callable[[str], None] | None = None,
) -> None:
    """Serve until stopped. `welcome` is called with the server's address (e.g.
    http://127.0.0.1:5232) once it is bound, before "listening on" says it is ready: what
    it prints is there when a script that waits for that line reads on."""
    level = settings.radicale.get("logging", {}).get("level", "info")
    with _radicale_quiet(level):
        app = make_app(settings, store)
    _keep_the_start_out_of_collections()
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
    scheduler = None
    try:
        scheduler = _start_scheduler(settings, store, scheduling) if settings.scheduler else None
        if welcome is not None:
            welcome(_address(settings, server.effective_port))
        if announce:
            print(
                f"contacthub: listening on http://{settings.host}:{server.effective_port}/",
                flush=True,
            )
        server.run()
    except KeyboardInterrupt:
        # Stopped before waitress's loop began, which takes the stops that come later
        # (a script may send one as soon as it reads "listening on").
        server.task_dispatcher.shutdown()
    finally:
        server.close()
        scheduling.set()
        if scheduler is not None:
            # A run still going is left to its lease: the next scheduler to look
            # records it as interrupted, and the sync keeps its schedule.
            scheduler.join(timeout=SCHEDULER_GRACE)
        store.close()
        logger.info("stopped")


def _keep_the_start_out_of_collections() -> None:
    """What the start built (modules, functions, Radicale's and Flask's objects: about
    180,000 of them) lives as long as the process. Python's full collections walked all
    of it, stopping every thread of `serve` for 90-160 ms each time, which set the load
    test's p99. Frozen (gc.freeze), it is left out of every collection: a full one walks
    only what was made since the start, 2-15 ms."""
    gc.collect()
    gc.freeze()


def _address(settings: Settings, port: int) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{port}"


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
        target=scheduler.run_forever,
        args=(stop, settings.scheduler_interval),
        name="scheduler",
        daemon=True,
    )
    thread.start()
    return thread
