"""Bar charts as SVG markup rendered on the server.

No script and no inline ``style`` (the Content-Security-Policy forbids both): sizes and
colours are SVG presentation attributes, and ``.chart*`` classes in app.css may restyle
them. Every label is escaped; the chart and each bar carry a ``<title>`` for screen
readers and tooltips, and pages show the same numbers in a table beside the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 200
VALUE_WIDTH = 90
ROW_HEIGHT = 28
BAR_HEIGHT = 18
MAX_LABEL = 28
BAR_FILL = "#1d4f91"
TEXT_FILL = "#0b0c0c"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str
    """The value as the page writes it, e.g. "12" or "30.5 days"."""


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def bar_chart(*, chart_id: str, title: str, bars: Sequence[Bar], description: str = "") -> Markup:
    """A horizontal bar chart, one row per bar, scaled to the largest value."""
    if not bars:
        return Markup("")
    ident = escape(chart_id)
    height = len(bars) * ROW_HEIGHT + 8
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max((bar.value for bar in bars), default=0) or 1
    labelled_by = f"{ident}-title" + (f" {ident}-desc" if description else "")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{labelled_by}" font-size="13" font-family="sans-serif">',
        f'<title id="{ident}-title">{escape(title)}</title>',
    ]
    if description:
        parts.append(f'<desc id="{ident}-desc">{escape(description)}</desc>')
    for index, bar in enumerate(bars):
        top = 4 + index * ROW_HEIGHT
        middle = top + BAR_HEIGHT / 2 + 5
        length = max(bar.value, 0) / largest * area
        parts.append(
            f'<g class="chart-row"><title>{escape(bar.label)}: {escape(bar.shown)}</title>'
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{_number(middle)}" '
            f'text-anchor="end" fill="{TEXT_FILL}">{escape(_short(bar.label))}</text>'
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{top}" width="{_number(length)}" '
            f'height="{BAR_HEIGHT}" fill="{BAR_FILL}"/>'
            f'<text class="chart-value" x="{_number(LABEL_WIDTH + length + 6)}" '
            f'y="{_number(middle)}" fill="{TEXT_FILL}">{escape(bar.shown)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
