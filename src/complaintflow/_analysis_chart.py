"""A small SVG line chart of weekly counts, as plain text (no dependency)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from typing import Final

__all__ = ["line_chart"]

_COLOURS: Final = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#7f7f7f")
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 130, 20, 30


def line_chart(
    weeks: Sequence[date],
    series: Mapping[str, Sequence[int]],
    *,
    width: int = 640,
    height: int = 320,
) -> str:
    """One line per series over ``weeks``, with a legend and the y-axis'
    maximum; the week labels are the first and the last Monday."""
    peak = max((max(v, default=0) for v in series.values()), default=0) or 1
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    step = plot_w / max(len(weeks) - 1, 1)

    def point(i: int, n: int) -> str:
        return f"{_LEFT + i * step:.1f},{_TOP + plot_h - n / peak * plot_h:.1f}"

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        "<title>Complaints per week and category</title>",
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_LEFT + plot_w}" y2="{_TOP + plot_h}" '
        'stroke="#333"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" stroke="#333"/>',
        f'<text x="{_LEFT - 4}" y="{_TOP + 4}" text-anchor="end">{peak}</text>',
        f'<text x="{_LEFT - 4}" y="{_TOP + plot_h}" text-anchor="end">0</text>',
    ]
    if weeks:
        out.append(f'<text x="{_LEFT}" y="{height - 8}">{weeks[0].isoformat()}</text>')
        out.append(
            f'<text x="{_LEFT + plot_w}" y="{height - 8}" text-anchor="end">'
            f"{weeks[-1].isoformat()}</text>"
        )
    for k, (name, counts) in enumerate(series.items()):
        colour = _COLOURS[k % len(_COLOURS)]
        points = " ".join(point(i, n) for i, n in enumerate(counts))
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        y = _TOP + 14 * k + 8
        out.append(
            f'<rect x="{width - _RIGHT + 10}" y="{y - 8}" width="10" height="10" fill="{colour}"/>'
        )
        out.append(f'<text x="{width - _RIGHT + 24}" y="{y + 1}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
