"""Signed-out sessions of the admin page, as the store remembers them."""

from __future__ import annotations

from contacthub.store import Store


def test_an_ended_session_is_refused_until_it_expires_then_forgotten(store: Store) -> None:
    with store.write() as tx:
        tx.end_session("first", expires_at=200.0, now=100.0)
        tx.end_session("first", expires_at=200.0, now=100.0)  # a second tab signs out too
        tx.end_session("second", expires_at=500.0, now=100.0)
    with store.read() as tx:
        assert tx.session_ended("first") and tx.session_ended("second")
        assert not tx.session_ended("third")
    with store.write() as tx:
        tx.end_session("third", expires_at=600.0, now=300.0)  # "first" has expired by now
    with store.read() as tx:
        assert not tx.session_ended("first")
        assert tx.session_ended("second") and tx.session_ended("third")
