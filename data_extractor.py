"""Read a monthly compensation packet PDF into the JSON contract (shared/docs/extraction-json.md).

Pure: no database, no Flask.
"""

from __future__ import annotations

from data.extraction.checks import compute_checks
from data.extraction.errors import ExtractionError

__all__ = ["ExtractionError", "compute_checks"]
