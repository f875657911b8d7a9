"""`contacthub serve`: the WSGI server (waitress) until Ctrl-C or SIGTERM.

It serves app.py's app: CardDAV, and the web sidecar under /api/.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

import waitress
from radicale import log as radicale_log

from .app import make_app
from .config import Settings
from .store import Store

logger = logging.getLogger("contacthub")


def setup_logging(settings: Settings) -> None:
    level = settings.radicale.get("logging", {}).get("level", "info")
    radicale_log.setup()
    radicale_log.set_level(level, backtrace_on_debug=False)
    logging.getLogger("contacthub").setLevel(level.upper())


def serve(settings: Settings, store: Store, *, announce: bool = True) -> None:
    app = make_app(settings, store)
    server = waitress.create_server(app, host=settings.host, port=settings.port, threads=8,
                                    ident="contacthub")

    def stop(signum: int, _frame: FrameType | None) -> None:
        # waitress ends its loop and its worker threads on KeyboardInterrupt.
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    if announce:
        print(f"contacthub: listening on http://{settings.host}:{server.effective_port}/",
              flush=True)
    try:
        server.run()
    finally:
        server.close()
        store.close()
        logger.info("stopped")
