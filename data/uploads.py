"""Where uploaded files wait: under random names, size-capped, checked by content.

A browser upload is streamed to ``instance/uploads/`` under a random token (the user's
file name is only ever displayed, never used as a path), imported, and removed. A file
that needs the user's answer (a password, or "replace the stored packet?") is kept under
its token until answered, and anything older than a day is swept away.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import time
from pathlib import Path
from typing import BinaryIO

MAX_FILE_BYTES = 25 * 1024 * 1024
PENDING_MAX_AGE_S = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CHUNK = 1 << 16


class UploadRejected(Exception):
    """The file cannot be taken; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def display_name(filename: str | None) -> str:
    """A safe name to show: the base name, printable characters only, at most 200 long."""
    base = (filename or "upload.pdf").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip() or "upload.pdf"
    return cleaned[:200]


class UploadStore:
    """Upload files on disk, by token."""

    def __init__(self, folder: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    def save(self, stream: BinaryIO, filename: str | None) -> str:
        """Stream an upload to disk; returns its token. Refuses files over the cap and files
        that are not PDFs by their first bytes, leaving nothing behind."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sweep()
        token = secrets.token_urlsafe(18)
        path = self.path(token)
        written = 0
        name = display_name(filename)
        try:
            with path.open("xb") as out:
                head = stream.read(1024)
                if not head:
                    raise UploadRejected(f"{name} is empty. Choose the packet PDF again.")
                if not head.lstrip(b"\x00\t\r\n ").startswith(b"%PDF-"):
                    raise UploadRejected(
                        f"{name} is not a PDF (checked by its content, not its name). "
                        "Upload the packet PDF as the billing company sent it."
                    )
                while head:
                    written += len(head)
                    if written > self.max_bytes:
                        raise UploadRejected(
                            f"{name} is larger than {self.max_bytes // (1024 * 1024)} MB, "
                            "which no monthly packet is. Check that it is the right file."
                        )
                    out.write(head)
                    head = stream.read(_CHUNK)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return token

    def path(self, token: str) -> Path:
        if not _TOKEN.match(token):
            raise UploadRejected("That upload is no longer available. Upload the file again.")
        return self.folder / f"{token}.pdf"

    def exists(self, token: str) -> bool:
        try:
            return self.path(token).is_file()
        except UploadRejected:
            return False

    def discard(self, token: str) -> None:
        with contextlib.suppress(UploadRejected):
            self.path(token).unlink(missing_ok=True)

    def sweep(self) -> int:
        """Remove uploads left waiting for more than a day. Returns how many."""
        if not self.folder.is_dir():
            return 0
        cutoff = time.time() - PENDING_MAX_AGE_S
        removed = 0
        for path in self.folder.glob("*.pdf"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
