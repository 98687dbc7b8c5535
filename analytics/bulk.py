"""Building many objects at once without the cyclic garbage collector in the way."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_load() -> Iterator[None]:
    """Cyclic garbage collection paused while a figure builds tens of thousands of objects
    (rows, cases, findings; none in a reference cycle): the collector otherwise rescans the
    growing heap again and again (half the time of an export of 45,000 charge lines, a
    third of a 300,000-line audit). Reference counting still frees memory; collection
    resumes right after, if it ran before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
