"""/metrics, /healthz, /readyz and the request log against a real `contacthub serve`.

The scrapes are read with Prometheus's own text parser (prometheus_client.parser), as
Prometheus reads them.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from contacthub.store.migrate import head_revision
from tests.support import dav
from tests.support.postgres import PostgresServer
from tests.support.servers import ContacthubServer, wait_for_log
from tests.support.vcards import make_card, new_uid

USERS = {"alice": "alice-Secret-1", "boss": "boss-Secret-12"}
CSV = "Name,E-mail 1 - Value\nAda Lovelace,ada@example.org\nGrace Hopper,grace@example.org\n"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: ContacthubServer, auth: tuple[str, str] | None = None) -> Samples:
    answer = requests.get(f"{server.url}/metrics", auth=auth, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def as_boss(server: ContacthubServer) -> Samples:
    return scrape(server, ("boss", USERS["boss"]))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContacthubServer]:
    data = tmp_path_factory.mktemp("metrics") / "data"
    # Counted at every scrape here, so a test sees its own writes.
    config = {"metrics": {"figures_max_age": "0"}}
    with ContacthubServer(data, USERS, admins=("boss",), config=config) as running:
        yield running  # type: ignore[misc]


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContacthubServer]:
    """/metrics open to 127.0.0.1 and a proxy's 10.0.0.0/8, JSON logs."""
    data = tmp_path_factory.mktemp("open-metrics") / "data"
    config = {
        "contacthub": {"trusted_proxy": "127.0.0.1"},
        "metrics": {"allowed_networks": "127.0.0.1/32, 10.0.0.0/8"},
        "logging": {"format": "json"},
    }
    with ContacthubServer(data, USERS, admins=("boss",), config=config) as running:
        yield running  # type: ignore[misc]


def test_carddav_requests_and_a_csv_run_move_the_counts(server: ContacthubServer) -> None:
    alice = server.session("alice")
    before = as_boss(server)

    dav.propfind(alice, "/alice/", depth="0")
    book = "/alice/contacts/"
    token = dav.sync_collection(alice, book, None).sync_token
    dav.create_card(alice, f"{book}one.vcf", make_card(new_uid(), "Alan Turing"))
    assert alice.get(f"{book}one.vcf").status_code == 200
    dav.sync_collection(alice, book, token)
    created = alice.post(
        f"{server.url}/api/v1/imports",
        data={"name": "Office"},
        files={"file": ("office.csv", CSV, "text/csv")},
    )
    assert created.status_code == 201, created.text
    run = alice.post(f"{server.url}/api/v1/imports/{created.json()['id']}/run").json()
    assert run["status"] == "ok", run

    after = as_boss(server)
    moved = {
        (method, status): value(
            after, "contacthub_http_requests_total", door="carddav", method=method, status=status
        )
        - value(
            before, "contacthub_http_requests_total", door="carddav", method=method, status=status
        )
        for method, status in [
            ("PROPFIND", "207"),
            ("REPORT", "207"),
            ("PUT", "201"),
            ("GET", "200"),
        ]
    }
    assert moved == {
        ("PROPFIND", "207"): 1,
        ("REPORT", "207"): 2,
        ("PUT", "201"): 1,
        ("GET", "200"): 1,
    }
    for method, count in [("PROPFIND", 1), ("REPORT", 2), ("PUT", 1), ("GET", 1)]:
        name = "contacthub_http_request_duration_seconds"
        labels = {"door": "carddav", "method": method}
        assert (
            value(after, f"{name}_count", **labels) - value(before, f"{name}_count", **labels)
            == count
        )
        assert value(after, f"{name}_sum", **labels) > value(before, f"{name}_sum", **labels)
        assert value(after, f"{name}_bucket", le="+Inf", **labels) == value(
            after, f"{name}_count", **labels
        )
    api_posts = value(
        after, "contacthub_http_requests_total", door="api", method="POST", status="201"
    )
    assert api_posts >= 1
    assert (
        value(after, "contacthub_sync_runs_total", kind="csv", outcome="ok")
        - value(before, "contacthub_sync_runs_total", kind="csv", outcome="ok")
        == 1
    )
    assert value(after, "contacthub_contacts", account="alice") == 3
    # One version a written card: the PUT and the run's two adds.
    assert value(after, "contacthub_history_versions") >= 3
    assert value(after, "contacthub_store_figures_duration_seconds") > 0
    assert ("contacthub_scheduler_lag_seconds", frozenset()) in after
    assert value(after, "process_resident_memory_bytes") > 0


def test_metrics_answer_an_admin_only(server: ContacthubServer) -> None:
    url = f"{server.url}/metrics"
    anonymous = requests.get(url, timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert "contacthub_" not in anonymous.text
    wrong = requests.get(url, auth=("boss", "not-the-password"), timeout=30)
    assert wrong.status_code == 401
    user = requests.get(url, auth=("alice", USERS["alice"]), timeout=30)
    assert user.status_code == 403
    assert "contacthub_" not in user.text
    admin = requests.get(url, auth=("boss", USERS["boss"]), timeout=30)
    assert admin.status_code == 200
    assert "contacthub_http_requests_total" in admin.text


def test_metrics_open_to_the_allowed_networks(open_server: ContacthubServer) -> None:
    url = f"{open_server.url}/metrics"
    assert requests.get(url, timeout=30).status_code == 200  # 127.0.0.1/32
    # Through the trusted proxy the forwarded client counts: 10.1.2.3 is let in, a client
    # elsewhere needs an admin's credentials.
    proxied = requests.get(url, headers={"X-Forwarded-For": "10.1.2.3"}, timeout=30)
    assert proxied.status_code == 200
    outside = requests.get(url, headers={"X-Forwarded-For": "192.0.2.7"}, timeout=30)
    assert outside.status_code == 401
    admin = requests.get(
        url, headers={"X-Forwarded-For": "192.0.2.7"}, auth=("boss", USERS["boss"]), timeout=30
    )
    assert admin.status_code == 200


def test_health_and_readiness_need_no_sign_in(server: ContacthubServer) -> None:
    health = requests.get(f"{server.url}/healthz", timeout=30)
    assert (health.status_code, health.text) == (200, "ok\n")
    ready = requests.get(f"{server.url}/readyz", timeout=30)
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}
    assert requests.head(f"{server.url}/readyz", timeout=30).status_code == 200


def test_not_ready_while_the_store_is_behind_its_migrations(server: ContacthubServer) -> None:
    head = head_revision()
    assert head is not None
    older = f"{int(head) - 1:04d}"
    database = server.data_dir / "contacthub.db"
    set_revision(database, older)
    try:
        ready = requests.get(f"{server.url}/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["status"] == "not ready"
        assert f"revision {older}" in ready.json()["reason"]
        assert head in ready.json()["reason"]
        # The process itself is up all the same.
        assert requests.get(f"{server.url}/healthz", timeout=30).status_code == 200
    finally:
        set_revision(database, head)
    assert requests.get(f"{server.url}/readyz", timeout=30).status_code == 200


def set_revision(database: Path, revision: str) -> None:
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def test_not_ready_while_the_store_cannot_be_reached(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = postgres_server.create_database(name)
    with ContacthubServer(tmp_path / "data", {"alice": USERS["alice"]}, store_url=url) as served:
        assert requests.get(f"{served.url}/readyz", timeout=30).status_code == 200
        with postgres_server.connect() as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        try:
            ready = requests.get(f"{served.url}/readyz", timeout=30)
            assert ready.status_code == 503
            assert ready.json() == {"status": "not ready", "reason": "the store cannot be reached"}
            assert requests.get(f"{served.url}/healthz", timeout=30).status_code == 200
        finally:
            with postgres_server.connect() as conn:
                conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert requests.get(f"{served.url}/readyz", timeout=30).status_code == 200


def test_each_request_has_one_log_line_with_its_id(server: ContacthubServer) -> None:
    alice = server.session("alice")
    given = f"proxy-{uuid.uuid4().hex}"
    answer = alice.request(
        "PROPFIND", "/alice/contacts/", headers={"Depth": "0", "X-Request-ID": given}
    )
    assert answer.status_code == 207
    assert answer.headers["X-Request-ID"] == given
    line = wait_for_log(
        server, rf"PROPFIND /alice/contacts/ 207 [\d.]+ ms from 127\.0\.0\.1 id={given}$"
    )
    assert line
    lines = [entry for entry in server.log_tail(5000).splitlines() if given in entry]
    assert len(lines) == 1, lines  # Radicale's own lines of the request are left out at INFO

    # An id that is not sane is replaced by one of the server's.
    made = alice.get("/alice/contacts/", headers={"X-Request-ID": "a b" + "c" * 200})
    new_id = made.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", new_id)
    wait_for_log(server, rf"GET /alice/contacts/ 200 [\d.]+ ms from 127\.0\.0\.1 id={new_id}$")


def test_a_static_file_is_sent_whole_and_logged(server: ContacthubServer) -> None:
    """waitress sends a file by itself (wsgi.file_wrapper): the request log hands it on."""
    css = Path(__file__).resolve().parents[2] / "server/contacthub/web/admin/static/admin.css"
    answer = requests.get(f"{server.url}/admin/static/admin.css", timeout=30)
    assert answer.status_code == 200
    assert answer.content == css.read_bytes()
    assert answer.headers["Content-Length"] == str(len(answer.content))
    request_id = answer.headers["X-Request-ID"]
    wait_for_log(
        server, rf"GET /admin/static/admin.css 200 [\d.]+ ms from 127\.0\.0\.1 id={request_id}$"
    )


def test_json_logs_are_one_object_a_line(open_server: ContacthubServer) -> None:
    given = f"json-{uuid.uuid4().hex}"
    alice = open_server.session("alice")
    answer = alice.request("PROPFIND", "/alice/", headers={"Depth": "0", "X-Request-ID": given})
    assert answer.status_code == 207
    wait_for_log(open_server, given)
    lines = open_server.log_path.read_text(encoding="utf-8").splitlines()
    ready = next(i for i, line in enumerate(lines) if "listening on" in line)
    entries = [json.loads(line) for line in lines[ready + 1 :] if line.strip()]
    mine = [entry for entry in entries if entry.get("request_id") == given]
    assert len(mine) == 1, mine
    assert mine[0]["level"] == "INFO"
    assert mine[0]["http"] == {
        "method": "PROPFIND",
        "path": "/alice/",
        "status": 207,
        "duration_ms": mine[0]["http"]["duration_ms"],
        "client": "127.0.0.1",
        "door": "carddav",
    }
    assert mine[0]["http"]["duration_ms"] > 0
