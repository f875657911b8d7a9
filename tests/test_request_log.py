"""The request log's middleware keeps what waitress reads from an answer: its length (a
Content-Length for a one-chunk answer without one) and a file sent by waitress itself.
tests/e2e/test_metrics_health.py checks its lines and ids against a real `serve`."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import REGISTRY
from waitress.buffers import ReadOnlyFileBasedBuffer

from contacthub.request_log import REQUEST_ID, RequestLog


def environ(**extra: Any) -> dict[str, Any]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/x", "REMOTE_ADDR": "127.0.0.1", **extra}


def requests_counted(status: str) -> float:
    labels = {"door": "test", "method": "GET", "status": status}
    return REGISTRY.get_sample_value("contacthub_http_requests_total", labels) or 0.0


def call(app: Callable[..., Iterable[bytes]], env: dict[str, Any]) -> tuple[Any, list[Any]]:
    started: list[Any] = []
    answer = RequestLog(app, lambda _: "test")(env, lambda *args: started.append(args))
    return answer, started


def test_a_one_chunk_answer_keeps_its_length_and_is_counted_when_closed() -> None:
    def app(env: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    before = requests_counted("200")
    answer, started = call(app, environ(HTTP_X_REQUEST_ID="given-1"))
    assert len(answer) == 1
    assert list(answer) == [b"hello"]
    assert ("X-Request-ID", "given-1") in started[0][1]
    assert REQUEST_ID.get() == "given-1"  # while it is being sent
    assert requests_counted("200") == before
    answer.close()
    assert requests_counted("200") == before + 1
    assert REQUEST_ID.get() is None


def test_a_file_sent_by_waitress_is_handed_on_as_it_is() -> None:
    def app(env: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/css")])
        return env["wsgi.file_wrapper"](io.BytesIO(b"body{}"))

    before = requests_counted("200")
    answer, _ = call(app, environ(**{"wsgi.file_wrapper": ReadOnlyFileBasedBuffer}))
    assert isinstance(answer, ReadOnlyFileBasedBuffer)
    assert requests_counted("200") == before + 1
    assert REQUEST_ID.get() is None
