"""The optional password: one user, a session cookie, a growing delay after wrong tries.

The password comes from ``APP_PASSWORD`` (environment or app config) or the first line of
the file given with ``app.py --password-file``. When none is set, nothing changes: the
app stays open to this machine only, as before.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

#: Wrong passwords allowed in a row before a delay starts.
FREE_FAILURES = 3
#: The first delay, doubled with each further wrong password, up to MAX_DELAY_SECONDS.
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 300.0


class PasswordFileError(Exception):
    """The password file cannot be used (missing, unreadable or empty)."""


def read_password_file(path: str | Path) -> str:
    """The password in the first line of ``path`` (surrounding spaces dropped)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise PasswordFileError(f"cannot read the password file {path}: {exc.strerror}") from None
    password = lines[0].strip() if lines else ""
    if not password:
        raise PasswordFileError(f"the password file {path} is empty")
    return password


def configured_password(config_value: str | None, password_file: str | None) -> str | None:
    """The password in force: app config, else the password file, else ``APP_PASSWORD``."""
    if config_value:
        return config_value
    if password_file:
        return read_password_file(password_file)
    return os.environ.get("APP_PASSWORD") or None


class PasswordGate:
    """Checks the one password and slows down guessing.

    After FREE_FAILURES wrong passwords in a row every attempt is refused for a delay that
    doubles with each further wrong one (1 s, 2 s, 4 s ... up to 5 minutes), even a right
    one, so guessing takes years; a right password resets the count."""

    def __init__(
        self, password: str, secret: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._digest = hashlib.sha256(password.encode("utf-8")).digest()
        #: What a signed-in session carries: changes when the password or secret key does.
        self.fingerprint = hmac.new(secret.encode(), self._digest, "sha256").hexdigest()
        self._clock = clock
        self._lock = threading.Lock()
        self.failures = 0
        self._locked_until = 0.0

    def wait_seconds(self) -> float:
        """Seconds until the next attempt is looked at (0 when it is now)."""
        return max(0.0, self._locked_until - self._clock())

    def attempt(self, password: str) -> tuple[bool, str]:
        """(signed in?, message for the person)."""
        with self._lock:
            wait = self.wait_seconds()
            if wait > 0:
                return False, (
                    f"Too many wrong passwords. Wait {wait:.0f} s before trying again."
                    if wait >= 1
                    else "Too many wrong passwords. Wait a second before trying again."
                )
            given = hashlib.sha256(password.encode("utf-8")).digest()
            if hmac.compare_digest(given, self._digest):
                self.failures = 0
                return True, "Signed in."
            self.failures += 1
            if self.failures >= FREE_FAILURES:
                steps = self.failures - FREE_FAILURES
                delay = min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2**steps)
                self._locked_until = self._clock() + delay
                return False, f"Wrong password. Wait {delay:.0f} s before trying again."
            return False, "Wrong password."
