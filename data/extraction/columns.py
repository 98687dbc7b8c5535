"""Which column a printed amount belongs to, from x positions measured on the page itself.

A line with a blank cell prints fewer numbers, so only the x position tells a lone number's
column. Report writers move and resize columns and align numbers right, left or centred, so
the anchors are measured per page: from the lines that print every column (which edge of the
numbers lines up best decides the alignment), else from the column headers.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from data.extraction.pages import Word
from data.extraction.tokens import parse_amount

EDGES = ("x1", "x0", "xc")


def _edge(word: Word, edge: str) -> float:
    if edge == "x1":
        return word.x1
    if edge == "x0":
        return word.x0
    return word.xc


@dataclass(slots=True)
class Columns:
    """k amount columns, located by one edge (right, left or centre) of their numbers."""

    edge: str
    anchors: list[float]
    tolerance: float
    measured: bool  # from full data lines (True) or only from headers (False)

    def nearest(self, word: Word) -> tuple[int, float]:
        position = _edge(word, self.edge)
        distances = [abs(position - a) for a in self.anchors]
        best = min(range(len(distances)), key=distances.__getitem__)
        return best, distances[best]


CENTS_RE = re.compile(r"\.\d\d\)?-?$")
#: A dot leader between a label and its amounts: a word of dots (one or two when the label
#: nearly fills the space: `HDHP ..`), or three or more stuck to the label's last word.
LEADER_RE = re.compile(r"^[._]+$")


def is_money(text: str) -> bool:
    """An amount printed with cents: `2026` or `2800` in a label is no money cell."""
    return CENTS_RE.search(text) is not None and parse_amount(text) is not None


def trailing_amounts(words: Sequence[Word], k: int) -> list[Word]:
    """Up to k money words at the end of a line."""
    found: list[Word] = []
    for word in reversed(words):
        if len(found) == k or not is_money(word.text):
            break
        found.append(word)
    return list(reversed(found))


def measure_columns(
    rows: Sequence[Sequence[Word]], k: int, headers: Sequence[Word] | None = None
) -> Columns | None:
    """Anchors of k trailing amount columns from the rows that print all k."""
    full = [trailing_amounts(r, k) for r in rows]
    full = [amounts for amounts in full if len(amounts) == k]
    if full:
        # Per column, the position most lines agree on (a label ending in a number can make a
        # line look full); ties go to the rightmost, since amounts stand right of labels.
        best = None
        for edge in EDGES:
            score = 0
            anchors = []
            for j in range(k):
                values = [_edge(amounts[j], edge) for amounts in full]
                agree = [sum(abs(u - v) <= 1.0 for u in values) for v in values]
                top = max(range(len(values)), key=lambda i: (agree[i], values[i]))
                anchors.append(statistics.median(u for u in values if abs(u - values[top]) <= 1.0))
                score += agree[top]
            if best is None or score > best[0]:
                best = (score, edge, anchors)
        heights = [w.height for amounts in full for w in amounts]
        height = statistics.median(heights) if heights else 8.0
        _, edge, anchors = best
        gaps = [b - a for a, b in zip(anchors, anchors[1:], strict=False)]
        tolerance = min([height * 1.2] + [g / 2 for g in gaps if g > 0])
        return Columns(edge, anchors, tolerance, True)
    if headers and len(headers) == k:
        anchors = [w.xc for w in headers]
        gaps = [b - a for a, b in zip(anchors, anchors[1:], strict=False)]
        tolerance = max(gaps) if gaps else 1000.0
        return Columns("xc", anchors, tolerance, False)
    return None


def label_text(words: Sequence[Word]) -> str | None:
    """A label as printed, single-spaced, without a dot leader run stuck to its end."""
    text = re.sub(r"(\s+[._]+|\s*[._]{3,})$", "", " ".join(w.text for w in words)).strip()
    return text or None


def split_amounts(
    words: Sequence[Word], columns: Columns | None, k: int
) -> tuple[list[Word], list[int | float | None]]:
    """(label words, k cells): trailing amounts placed in their columns by x position.

    Dot leaders (`........`) between label and amounts are no part of the label.

    A trailing number that lines up with no column (`HDHP 2800` ending a label) stays in the
    label.
    """
    cells: list[int | float | None] = [None] * k
    amounts = trailing_amounts(words, k)
    taken = 0
    last_column = k
    for word in reversed(amounts):
        if columns is None:
            column = last_column - 1
        else:
            column, distance = columns.nearest(word)
            if distance > columns.tolerance and columns.measured:
                break
            column = min(column, last_column - 1)
        if column < 0 or cells[column] is not None:
            break
        cells[column] = parse_amount(word.text)
        last_column = column
        taken += 1
    label = [w for w in words[: len(words) - taken] if not LEADER_RE.match(w.text)]
    return label, cells
