"""The report writer's options: what varies between real packets' page layouts.

An extractor that works for one layout only is brittle; these options let tests and benchmarks
draw the same month in many valid variants (font, size, orientation, column positions, rows per
page) without changing a single printed figure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FONTS = ("Helvetica", "Courier", "Times-Roman")


@dataclass(frozen=True)
class LayoutOptions:
    """How the report writer lays out the packet; the default is the common real layout."""

    font: str = "Helvetica"
    font_size: float = 6.5  # F3 data lines; other reports use font_size + 1
    f3_landscape: bool = True
    column_shift: float = 0.0  # points every F3 column moves right
    column_scale: float = 1.0  # F3 column spacing factor
    f3_rows_per_page: int = 48
    expense_rows_per_page: int = 30
    # The stub's period value is drawn twice, the copy shifted by (dx, dy) points: real files
    # read as `Period: March 20Ma2r6ch 2026` (a shift of about "March 20") or, with a tiny
    # shift, as every character doubled.
    period_offset: tuple[float, float] = (35.0, -0.3)
    f2_plain_total: bool = True  # Section 2/3 totals printed twice, the second without commas

    def __post_init__(self) -> None:
        if self.font not in FONTS:
            raise ValueError(f"font must be one of {FONTS}, not {self.font!r}")
        if not 6.0 <= self.font_size <= 8.0:
            raise ValueError("font_size must be between 6 and 8 points")
        if self.f3_rows_per_page < 8:
            raise ValueError("f3_rows_per_page must be at least 8")

    @classmethod
    def random(cls, seed: int) -> LayoutOptions:
        """A random but valid variant: any font at 6-8 pt, either orientation, shifted columns.

        Portrait F3 pages are narrow, so they get a small font and tight columns, as a report
        writer squeezing 29 columns onto a letter page does.
        """
        rng = random.Random(seed)
        font = rng.choice(FONTS)
        landscape = rng.random() < 0.7
        if landscape:
            sizes = {"Helvetica": (6.0, 6.5, 7.0, 7.5), "Courier": (6.0,)}
            size = rng.choice(sizes.get(font, (6.0, 6.5, 7.0, 7.5, 8.0)))
        else:
            font = rng.choice(("Helvetica", "Times-Roman"))
            size = 6.0
        return cls(
            font=font,
            font_size=size,
            f3_landscape=landscape,
            column_shift=round(rng.uniform(-4.0, 6.0), 1),
            column_scale=round(rng.uniform(0.97, 1.03), 3),
            f3_rows_per_page=rng.randint(24, 60),
            expense_rows_per_page=rng.randint(20, 40),
            period_offset=(
                round(rng.uniform(0.3, 1.2) if rng.random() < 0.4 else rng.uniform(24.0, 40.0), 2),
                round(rng.uniform(-0.8, 0.0), 2),
            ),
            f2_plain_total=rng.random() < 0.5,
        )
