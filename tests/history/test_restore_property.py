"""The property the history rests on: for any sequence of writes (put, update, delete,
move within and between books, a source's runs, restores) by several actors, restoring
the books to any time T makes them hold exactly what they held at T (hrefs and texts).
SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from contacthub.reconcile import Policy
from contacthub.services import history
from contacthub.sources.context import RunContext
from contacthub.store import Actor, Store, StoreError
from contacthub.vcard.parse import item_data
from tests.history.book import ADMIN, API, PHONE, Clock, held, text
from tests.reconcile.tiny_source import BOOK_PROPS, create_source, run

ACTORS = (PHONE, API, ADMIN, Actor("alice", "carddav", "iOS/17.4 (21E219) dataaccessd/1.0"))
HREFS = ("h0.vcf", "h1.vcf", "h2.vcf")
KEYS = ("k0", "k1", "k2")

books = itertools.count()


@dataclass(frozen=True)
class Put:
    book: int
    href: str
    new_uid: bool
    actor: int


@dataclass(frozen=True)
class Delete:
    book: int
    href: str
    actor: int


@dataclass(frozen=True)
class Move:
    book: int
    href: str
    to_book: int
    to_href: str


@dataclass(frozen=True)
class SourceRun:
    named: tuple[str, ...]  # the keys present; names change with each run
    delete_missing: bool


@dataclass(frozen=True)
class RestoreTo:
    back: int  # how many steps back


book_index = st.integers(0, 1)
steps = st.lists(
    st.one_of(
        st.builds(Put, book_index, st.sampled_from(HREFS), st.booleans(), st.integers(0, 3)),
        st.builds(Delete, book_index, st.sampled_from(HREFS), st.integers(0, 3)),
        st.builds(Move, book_index, st.sampled_from(HREFS), book_index, st.sampled_from(HREFS)),
        st.builds(
            SourceRun, st.lists(st.sampled_from(KEYS), unique=True).map(tuple), st.booleans()
        ),
        st.builds(RestoreTo, st.integers(1, 4)),
    ),
    min_size=1,
    max_size=12,
)


class World:
    """Two books of alice, a source filling the first, and what they held after each step."""

    def __init__(self, ctx: RunContext, store: Store, clock: Clock) -> None:
        n = next(books)
        self.ctx, self.store, self.clock = ctx, store, clock
        self.paths = (f"alice/p{n}", f"alice/q{n}")
        with store.write() as tx:
            for path in self.paths:
                tx.create_collection(path, BOOK_PROPS)
        self.source = create_source(store, f"s{n}", self.paths[0])
        self.uids = itertools.count()
        self.runs = itertools.count()
        self.moments: list[tuple[float, tuple[dict[str, str], ...]]] = []
        self.note()

    def note(self) -> None:
        self.moments.append((self.clock.now, tuple(held(self.store, p) for p in self.paths)))
        self.clock.turn(10)

    def held_at(self, at: float) -> tuple[dict[str, str], ...]:
        return [held for moment, held in self.moments if moment <= at][-1]

    def do(self, step: object) -> None:
        try:
            self._do(step)
        except StoreError:
            pass  # a UID taken elsewhere, nothing to delete: the store refused, nothing changed
        self.note()

    def _do(self, step: object) -> None:
        if isinstance(step, Put):
            path = self.paths[step.book]
            with self.store.write([path], actor=ACTORS[step.actor]) as tx:
                book = tx.require_collection(path)
                old = tx.get_item(book.id, step.href)
                uid = old.uid if old is not None and not step.new_uid else f"u{next(self.uids)}"
                tx.put_item(book, step.href, item_data(text(uid, f"{uid} {self.clock.now}")))
        elif isinstance(step, Delete):
            path = self.paths[step.book]
            with self.store.write([path], actor=ACTORS[step.actor]) as tx:
                tx.delete_item(tx.require_collection(path), step.href)
        elif isinstance(step, Move):
            source, target = self.paths[step.book], self.paths[step.to_book]
            if (source, step.href) == (target, step.to_href):
                return
            with self.store.write(sorted({source, target}), actor=PHONE) as tx:
                tx.move_item(
                    tx.require_collection(source),
                    step.href,
                    tx.require_collection(target),
                    step.to_href,
                )
        elif isinstance(step, SourceRun):
            number = next(self.runs)
            named = {key: f"{key} run {number}" for key in step.named}
            run(self.store, self.source, named, Policy(delete_missing=step.delete_missing))
        elif isinstance(step, RestoreTo):
            at = self.moments[max(0, len(self.moments) - step.back)][0] + 5
            history.apply_restore(self.ctx, "alice", self.ids, at, via="api")

    @property
    def ids(self) -> list[str]:
        return [path.rsplit("/", 1)[1] for path in self.paths]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps, pick=st.floats(0, 1))
def test_restoring_to_any_time_gives_the_books_exactly_as_they_were(
    ctx: RunContext, store: Store, clock: Clock, steps: list[object], pick: float
) -> None:
    world = World(ctx, store, clock)
    for step in steps:
        world.do(step)
    first, last = world.moments[0][0], world.moments[-1][0]
    at = first + (last - first) * pick
    history.apply_restore(ctx, "alice", world.ids, at, via="api")
    assert tuple(held(store, path) for path in world.paths) == world.held_at(at)
