"""Small inline SVG charts for the channel report: no scripts, no fonts, no external files.

Each chart is an ``<svg class="chart">`` with ``data-points`` (how many values it draws) and a
``<title>`` for screen readers; every drawn value is one ``<rect class="bar">`` or one
``<circle class="point">`` (joined by a ``<polyline class="series">`` when a series has two
points or more), so tests (and a browser) can check a chart drew its data.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 640, 200
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 12, 16, 28
COLOURS = ("#2563eb", "#16a34a", "#dc2626", "#9333ea", "#d97706", "#0891b2")


def _scale(values: Sequence[float]) -> tuple[float, float]:
    low = min([0.0, *values])
    high = max([0.0, *values])
    if high == low:
        high = low + 1.0
    return low, high


def _y(value: float, low: float, high: float) -> float:
    plot = HEIGHT - PAD_TOP - PAD_BOTTOM
    return PAD_TOP + plot - (value - low) / (high - low) * plot


def _axes(low: float, high: float, labels: Sequence[str]) -> list[str]:
    parts = [f'<line class="axis" x1="{PAD_LEFT}" y1="{_y(0, low, high):.1f}" '
             f'x2="{WIDTH - PAD_RIGHT}" y2="{_y(0, low, high):.1f}"/>']
    for value in (low, high):
        parts.append(f'<text class="tick" x="{PAD_LEFT - 6}" y="{_y(value, low, high) + 4:.1f}"'
                     f' text-anchor="end">{escape(_short(value))}</text>')
    if labels:
        for index in sorted({0, len(labels) // 2, len(labels) - 1}):
            x = _x(index, len(labels))
            parts.append(f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 8}" '
                         f'text-anchor="middle">{escape(labels[index])}</text>')
    return parts


def _x(index: int, count: int) -> float:
    plot = WIDTH - PAD_LEFT - PAD_RIGHT
    step = plot / max(count, 1)
    return PAD_LEFT + step * index + step / 2


def _short(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def bar_chart(title: str, labels: Sequence[str], values: Sequence[Decimal | int]) -> str:
    """One bar per label (negative values hang below the axis)."""
    numbers = [float(v) for v in values]
    low, high = _scale(numbers)
    plot = WIDTH - PAD_LEFT - PAD_RIGHT
    bar = max(plot / max(len(numbers), 1) * 0.7, 1.0)
    parts = _axes(low, high, labels)
    zero = _y(0, low, high)
    for index, (label, value) in enumerate(zip(labels, numbers, strict=True)):
        top = _y(value, low, high)
        y, height = (top, zero - top) if value >= 0 else (zero, top - zero)
        parts.append(f'<rect class="bar" x="{_x(index, len(numbers)) - bar / 2:.1f}" '
                     f'y="{y:.1f}" width="{bar:.1f}" height="{max(height, 0.5):.1f}">'
                     f'<title>{escape(label)}: {escape(_short(value))}</title></rect>')
    return _frame(title, len(numbers), parts)


def line_chart(title: str, labels: Sequence[str],
               series: dict[str, Sequence[Decimal | int]]) -> str:
    """One polyline per named series over the same labels, with a legend."""
    all_values = [float(v) for values in series.values() for v in values]
    low, high = _scale(all_values)
    parts = _axes(low, high, labels)
    for colour_index, (name, values) in enumerate(series.items()):
        colour = COLOURS[colour_index % len(COLOURS)]
        xy = [(_x(i, len(values)), _y(float(v), low, high)) for i, v in enumerate(values)]
        if len(xy) > 1:  # a line needs two points; a single day is still shown as a dot
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            parts.append(f'<polyline class="series" fill="none" stroke="{colour}" '
                         f'stroke-width="2" points="{points}"><title>{escape(name)}</title>'
                         "</polyline>")
        for (x, y), (label, value) in zip(xy, zip(labels, values, strict=True), strict=True):
            parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="2.5" '
                         f'fill="{colour}"><title>{escape(name)} {escape(label)}: '
                         f"{escape(_short(float(value)))}</title></circle>")
        parts.append(f'<text class="legend" x="{PAD_LEFT + 8 + 110 * colour_index}" y="12" '
                     f'fill="{colour}">{escape(name)}</text>')
    return _frame(title, len(all_values), parts)


def _frame(title: str, points: int, parts: list[str]) -> str:
    return (f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'data-points="{points}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title>{''.join(parts)}</svg>")
