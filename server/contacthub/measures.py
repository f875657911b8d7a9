"""What /metrics counts, as Prometheus instruments of this process (metrics.py serves them).

`serve` is one process with worker threads (waitress), never forked: the instruments live
in the process, and prometheus_client's locks make them safe across its threads. Several
`serve` processes each count their own requests and runs; Prometheus scrapes each one
(its `instance` label tells them apart) and sums them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Labels take a bounded set of values: a method nobody knows counts as "other", so a
# client cannot grow the series without end.
METHODS = frozenset(
    {
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
        "PROPFIND",
        "PROPPATCH",
        "REPORT",
        "MKCOL",
        "MOVE",
        "COPY",
    }
)
TIMED_METHODS = frozenset({"PROPFIND", "REPORT", "PUT", "GET"})
# The doors of `serve`: CardDAV (Radicale), the sidecar's API and admin page, and ours.
DOORS = ("carddav", "api", "admin", "metrics", "health", "favicon")

REQUESTS = Counter(
    "contacthub_http_requests",
    "HTTP requests answered, by door (carddav, api, admin, ...), method and status.",
    ["door", "method", "status"],
)
LATENCY = Histogram(
    "contacthub_http_request_duration_seconds",
    "Seconds from a request's arrival to the last byte of its answer (PROPFIND, REPORT, "
    "PUT and GET).",
    ["door", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
SYNC_RUNS = Counter(
    "contacthub_sync_runs",
    "Runs of saved syncs in this process, by kind of source and outcome (the run's status).",
    ["kind", "outcome"],
)
SCHEDULER_LAG = Gauge(
    "contacthub_scheduler_lag_seconds",
    "How late the last scheduled run this process started was: seconds from when it was "
    "due to when it was claimed.",
)


def method_label(method: str) -> str:
    return method if method in METHODS else "other"


def count_run(kind: str, outcome: str) -> None:
    SYNC_RUNS.labels(kind=kind, outcome=outcome).inc()
