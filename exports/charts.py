"""Charts as PNG images, drawn with matplotlib from the same Chart objects the pages use."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display: draw to memory

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from analytics.analysis import Chart  # noqa: E402

PALETTE = ["#1f5f8b", "#e07b39", "#3a9a5b", "#8e5ea2", "#c44e52", "#7f7f7f"]


def chart_png(chart: Chart, width: float = 10.0, height: float = 4.8, dpi: int = 110) -> bytes:
    """A PNG of ``chart``: title, axes labelled, one colour per series, a legend."""
    figure, axes = plt.subplots(figsize=(width, height), dpi=dpi)
    try:
        positions = list(range(len(chart.x)))
        drawn = [series for series in chart.series if series.drawn]
        count = max(len(drawn), 1)
        bar_width = 0.8 / count
        for index, series in enumerate(drawn):
            colour = PALETTE[index % len(PALETTE)]
            values = [float("nan") if v is None else v for v in series.values]
            if chart.kind == "bar":
                offsets = [p - 0.4 + bar_width * (index + 0.5) for p in positions]
                axes.bar(offsets, values, width=bar_width, label=series.name, color=colour)
            else:
                axes.plot(
                    positions, values, marker="o", markersize=3, label=series.name, color=colour
                )
        axes.set_title(chart.title)
        axes.set_xlabel(chart.x_label)
        if chart.y_label:
            axes.set_ylabel(chart.y_label)
        step = max(1, len(chart.x) // 18)
        axes.set_xticks(positions[::step])
        axes.set_xticklabels(
            chart.x[::step],
            rotation=45 if len(chart.x) > 12 else 0,
            ha="right" if len(chart.x) > 12 else "center",
        )
        if chart.value_format == "money":
            axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"${v:,.0f}"))
        else:
            axes.yaxis.set_major_locator(MaxNLocator(nbins=8))
        axes.grid(axis="y", alpha=0.3)
        if len(drawn) > 1:
            axes.legend(frameon=False, fontsize=8)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
