"""Charts as inline SVG, drawn here: the school network may be offline, so no CDN and no
JavaScript library. Text goes through format_html (escaped); sizes are plain numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

LABEL_WIDTH = 230
BAR_AREA = 300
ROW = 26
COLORS = ("#1f5fa8", "#f0b429")


@dataclass
class Bar:
    label: str
    values: Sequence[float | None]  # one per series
    shown: Sequence[str]  # the values as text


def hbar_chart(bars: Sequence[Bar], *, title: str, legend: Sequence[str] = ()) -> SafeString:
    """Horizontal bars, one row per label, one bar per series in the row."""
    series = max((len(b.values) for b in bars), default=1)
    top = max((v or 0 for b in bars for v in b.values), default=0) or 1
    bar_height = (ROW - 8) / series
    legend_height = 20 if legend else 0
    height = legend_height + ROW * len(bars) + 4
    width = LABEL_WIDTH + BAR_AREA + 90
    parts = []
    for i, name in enumerate(legend):
        x = LABEL_WIDTH + i * 140
        parts.append(
            format_html(
                '<rect x="{}" y="4" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="14" font-size="12">{}</text>',
                x,
                COLORS[i % len(COLORS)],
                x + 16,
                name,
            )
        )
    for row, bar in enumerate(bars):
        y = legend_height + row * ROW
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="13" text-anchor="end">{}</text>',
                LABEL_WIDTH - 8,
                y + ROW / 2 + 4,
                bar.label[:34],
            )
        )
        for i, (value, shown) in enumerate(zip(bar.values, bar.shown, strict=True)):
            length = round(BAR_AREA * (value or 0) / top, 1)
            by = round(y + 4 + i * bar_height, 1)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" rx="2"/>'
                    '<text x="{}" y="{}" font-size="11">{}</text>',
                    LABEL_WIDTH,
                    by,
                    max(length, 1 if value else 0),
                    round(bar_height - 1, 1),
                    COLORS[i % len(COLORS)],
                    LABEL_WIDTH + length + 4,
                    round(by + bar_height - 3, 1),
                    shown,
                )
            )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {w} {h}" '
        'width="100%" style="max-width:{w}px" font-family="sans-serif" fill="#1d2733">'
        "<title>{t}</title>{body}</svg>",
        w=width,
        h=height,
        t=title,
        body=mark_safe("".join(parts)),  # each part built with format_html
    )
