"""The API in-process (Flask's test client) over SQLite and PostgreSQL.

Users alice and bob, and carol who is an administrator; every request and response is
checked against the OpenAPI document (tests/api/spec.py).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from flask import Flask
from flask.testing import EnvironBuilder, FlaskClient
from werkzeug.test import TestResponse

from contacthub.config import Settings
from contacthub.store import Store
from contacthub.web import create_app
from tests.api import spec

PASSWORDS = {"alice": "alice-Secret-1", "bob": "bob-Secret-2", "carol": "carol-Secret-3"}
ADMINS = {"carol"}


def write_users(path: Path, passwords: dict[str, str]) -> None:
    # Cost 4: the tests check passwords, not bcrypt's cost.
    path.write_text(
        "".join(
            f"{name}:{bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4)).decode()}\n"
            for name, pw in passwords.items()
        )
    )


def vcard(uid: str | None, name: str, *lines: str) -> str:
    body = [f"UID:{uid}"] if uid is not None else []
    return "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", *body, f"FN:{name}", *lines, "END:VCARD", ""])


class ApiClient:
    """Requests as a user, each checked against the OpenAPI document with its response.
    A request sent off the document on purpose says so: ``bad_request=True``."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def request(
        self,
        method: str,
        path: str,
        *,
        user: str | None = "alice",
        password: str | None = None,
        vcard: str | bytes | None = None,
        bad_request: bool = False,
        **kwargs: Any,
    ) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            secret = password if password is not None else PASSWORDS[user]
            headers["Authorization"] = (
                "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
            )
        if vcard is not None:
            kwargs["data"] = vcard.encode() if isinstance(vcard, str) else vcard
            kwargs.setdefault("content_type", "text/vcard; charset=utf-8")
        environ = self.environ(method, path, headers, **kwargs)
        if not bad_request:
            body = environ["wsgi.input"].getvalue()
            spec.check_request(method, path, environ.get("CONTENT_TYPE", ""), body)
        response = self.client.open(environ)
        spec.check(method, path, response.status_code, response.headers, response.data)
        if response.status_code >= 400:
            message = response.get_json()["error"]["message"]
            assert message[0].isupper() and message.endswith(".") and not message.endswith(".."), (
                f"not a sentence: {message!r}"
            )
        return response

    def environ(
        self, method: str, path: str, headers: dict[str, str], **kwargs: Any
    ) -> dict[str, Any]:
        """The request as the client sends it, its body read once (a file part is a stream)."""
        builder = EnvironBuilder(
            self.client.application, path, method=method, headers=headers, **kwargs
        )
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read())
        return environ

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    with opened.write() as tx:
        for name in PASSWORDS:
            tx.set_admin(name, name in ADMINS)
    yield opened
    opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    users = tmp_path / "users"
    write_users(users, PASSWORDS)
    return Settings(
        data_dir=tmp_path,
        config_file=tmp_path / "contacthub.conf",
        radicale={
            "auth": {"htpasswd_filename": str(users), "delay": "0"},
            "server": {"max_resource_size": "20000", "max_content_length": "200000"},
        },
    )


@pytest.fixture
def app(settings: Settings, store: Store) -> Flask:
    return create_app(settings, store)


@pytest.fixture
def api(app: Flask) -> ApiClient:
    return ApiClient(app.test_client())
