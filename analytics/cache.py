"""Derived figures cached until the data they come from changes.

A page such as Insights asks for every month's pay figures several times (cards, alerts,
comparisons, projections); with 30 years stored, re-reading 360 packets each time is most
of the page's time. :func:`cached` keeps one computed value per database and name, keyed
by :meth:`data.repositories.DataVersionRepository.fingerprint` (counts, newest ids and
import time of packets, checks, rules, cases and the case log): an import, a delete, a
rules change or a case-log upload gives a new fingerprint, so the next request computes
afresh. Cached values are shared between requests and must be treated as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from data.repositories import DataVersionRepository

T = TypeVar("T")

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


def clear() -> None:
    """Forget every cached value (tests, and after a restore replaced the database)."""
    with _lock:
        _store.clear()
