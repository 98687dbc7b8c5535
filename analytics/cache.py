"""Derived figures cached until the data they come from changes.

A page such as Insights asks for every month's pay figures several times (cards, alerts,
comparisons, projections); with 30 years stored, re-reading 360 packets each time is most
of the page's time. :func:`cached` keeps one computed value per database and name, keyed
by :meth:`data.repositories.DataVersionRepository.fingerprint` (counts, newest ids and
import time of packets, checks, rules, cases and the case log): an import, a delete, a
rules change or a case-log upload gives a new fingerprint, so the next request computes
afresh. Cached values are shared between requests and must be treated as read-only.

:class:`CacheWarmer` computes them in the background after the data changes (its tasks:
``analytics/warmup.py``), so the first request after an import finds them ready.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from data.repositories import DataVersionRepository

T = TypeVar("T")
log = logging.getLogger("compensation.cache")

#: How many (database, name) values are kept at most; the least recently used go first.
MAX_ENTRIES = 256

_lock = threading.Lock()
_store: OrderedDict[tuple[str, Hashable], tuple[tuple[Any, ...], Any]] = OrderedDict()


def _database_key(session: Session) -> str:
    bind = session.get_bind()
    return bind.url.render_as_string(hide_password=True) + f"#{id(bind)}"


def data_version(session: Session) -> tuple[Any, ...]:
    """The stored data's fingerprint, read once per transaction of ``session`` (a flush,
    a write statement, a commit or a rollback makes it read again)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    version = session.info.get(_VERSION_KEY)
    if version is None:
        version = session.info[_VERSION_KEY] = DataVersionRepository(session).fingerprint()
    return version


_VERSION_KEY = "analytics.cache.data_version"


def _forget_version(session: Session, *_args: Any) -> None:
    session.info.pop(_VERSION_KEY, None)


def _forget_after_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        _forget_version(state.session)


event.listen(Session, "after_flush", _forget_version)
event.listen(Session, "after_transaction_end", _forget_version)
event.listen(Session, "do_orm_execute", _forget_after_write)


def cached(session: Session, name: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``'s value for this database, reused while the data is unchanged."""
    key = (_database_key(session), name)
    version = data_version(session)
    with _lock:
        hit = _store.get(key)
        if hit is not None and hit[0] == version:
            _store.move_to_end(key)
            return hit[1]
    value = compute()
    with _lock:
        _store[key] = (version, value)
        _store.move_to_end(key)
        while len(_store) > MAX_ENTRIES:
            _store.popitem(last=False)
    return value


def settle_heap() -> None:
    """Take what is alive now (the figures just warmed) out of the cyclic garbage
    collector's rounds. A warmed 30-year cache is ~200,000 objects: every full collection
    walked them all, a 130-150 ms pause landing on some request every few dozen requests.
    Frozen objects are still freed when nothing refers to them; :func:`unsettle_heap`
    hands them back before the next warm-up so old figures' cycles are collected too."""
    gc.collect()
    gc.freeze()


def unsettle_heap() -> None:
    """Undo :func:`settle_heap` (the data changed: the old figures become garbage)."""
    gc.unfreeze()


def clear() -> None:
    """Forget every cached value (tests, and after a restore replaced the database)."""
    with _lock:
        _store.clear()


def cached_names(session: Session) -> set[Hashable]:
    """The names :func:`cached` holds a value for, for this database as its data is now."""
    prefix, version = _database_key(session), data_version(session)
    with _lock:
        return {
            name for (database, name), (held, _value) in _store.items()
            if database == prefix and held == version
        }  # fmt: skip


# --------------------------------------------------------------------------- warming


@dataclass(frozen=True)
class WarmTask:
    """One thing the warmer computes: ``run(session)`` calls a page's entry point with its
    default query, so the figures land under the keys the page reads."""

    name: str
    run: Callable[[Session], object]


@dataclass
class WarmRun:
    """What one warm-up did: the data version it started from, the tasks that ran and
    those that failed (by name), and how long it took."""

    version: tuple[Any, ...]
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False  # paused or stopped before every task ran


class CacheWarmer:
    """Computes the cached figures in a background thread whenever the stored data
    changes, so the first page after an import is served from the cache.

    It warms once at :meth:`start`, whenever :meth:`poke` says the data changed (the web
    routes that import, delete, change rules or store a case log poke it after they
    commit), and when the data version read every ``poll_seconds`` differs from the one
    last warmed (an import by the command line in another process). One warm-up at a time,
    in its own session (requests never wait for it); a task that fails is logged by name
    and error type only (never data) and the others still run. :meth:`paused` keeps it off
    the database (a restore swaps the file)."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        tasks: Sequence[WarmTask],
        poll_seconds: float = 30.0,
    ) -> None:
        self.session_factory = session_factory
        self.tasks = list(tasks)
        self.poll_seconds = poll_seconds
        self.last_run: WarmRun | None = None
        self._warmed_version: tuple[Any, ...] | None = None
        self._run_lock = threading.Lock()  # one warm-up (or version check) at a time
        self._state = threading.Condition()
        self._pending = True  # warm at start
        self._busy = False
        self._paused = 0
        self._stopping = False
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        """Start the background thread (a daemon: it never keeps the app from exiting)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="cache-warmer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop the thread after the task in progress."""
        with self._state:
            self._stopping = True
            self._state.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        unsettle_heap()

    def poke(self) -> None:
        """The data may have changed: warm soon (returns at once; pokes made while a
        warm-up runs are served by one more warm-up after it)."""
        with self._state:
            self._pending = True
            self._state.notify_all()

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Wait until no warm-up is running or asked for; False if ``timeout`` ran out."""
        with self._state:
            return self._state.wait_for(lambda: not (self._pending or self._busy), timeout)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No warm-up while the block runs; on entry, waits for the task in progress (the
        warm-up stops there) so no connection of the warmer stays open."""
        with self._state:
            self._paused += 1
        try:
            with self._run_lock:
                yield
        finally:
            with self._state:
                self._paused -= 1

    def warm_now(self) -> WarmRun | None:
        """Warm every task now in the calling thread (after a warm-up in progress), even if
        the data did not change; None while paused."""
        if self._is_halted():
            return None
        with self._run_lock:
            return None if self._is_halted() else self._warm()

    # ------------------------------------------------------------------ the thread

    def _is_halted(self) -> bool:
        with self._state:
            return self._paused > 0 or self._stopping

    def _loop(self) -> None:
        while True:
            with self._state:
                if not self._pending and not self._stopping:
                    self._state.wait(self.poll_seconds)
                if self._stopping:
                    self._busy = self._pending = False
                    self._state.notify_all()
                    return
                self._pending, self._busy = False, True
            try:
                self._warm_if_changed()
            except Exception as exc:  # noqa: BLE001 - the warmer must never stop the app
                log.warning("Cache warm-up failed (%s); next try in %g s", type(exc).__name__,
                            self.poll_seconds)  # fmt: skip
            finally:
                with self._state:
                    self._busy = False
                    self._state.notify_all()

    def _warm_if_changed(self) -> WarmRun | None:
        with self._run_lock:
            if self._is_halted():
                return None
            session = self.session_factory()
            try:
                version = data_version(session)
            finally:
                session.close()
            if version == self._warmed_version:
                return None
            return self._warm()

    def _warm(self) -> WarmRun:
        began = time.perf_counter()
        unsettle_heap()
        session = self.session_factory()
        try:
            run = WarmRun(data_version(session))
        finally:
            session.close()
        for task in self.tasks:
            if self._is_halted():
                run.stopped = True
                break
            # Each task in its own session (a read snapshot when the factory gives one):
            # nothing stays open between tasks, and a task's reads agree with its version.
            session = self.session_factory()
            try:
                task.run(session)
                run.done.append(task.name)
            except Exception as exc:  # noqa: BLE001 - one task's failure is logged only
                run.failed.append(task.name)
                log.warning("Cache warm-up: %s failed (%s)", task.name, type(exc).__name__)
            finally:
                session.close()
        settle_heap()
        run.seconds = round(time.perf_counter() - began, 3)
        if not run.stopped:
            self._warmed_version = run.version
        self.last_run = run
        log.info("Cache warm-up: %d of %d ready in %.1f s%s", len(run.done), len(self.tasks),
                 run.seconds, " (stopped early)" if run.stopped else "")  # fmt: skip
        return run
