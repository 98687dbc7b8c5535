"""The one error a caller of the extractor has to handle."""

from __future__ import annotations


class ExtractionError(Exception):
    """A file that cannot be read as a packet.

    `kind` is a stable code (not_pdf, empty, damaged, password_required, wrong_password,
    not_a_packet) for programs; `message` is one line for a person: what is wrong and what to do.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
