"""Small bar charts drawn server-side as inline SVG, so the admin needs no JavaScript library."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 600
HEIGHT = 120
LABEL_SPACE = 16
COLOURS = {
    "default": "#417690",
    "ok": "#3a9a5b",
    "not_modified": "#9aa5ad",
    "error": "#c0392b",
    "deferred": "#b07d00",
}


@dataclass(frozen=True)
class Bar:
    """One bar: its height value, the hover text, and a colour key from COLOURS."""

    value: float
    tooltip: str
    kind: str = "default"


def bar_chart(
    bars: Sequence[Bar], *, title: str, first_label: str = "", last_label: str = "", unit: str = ""
) -> SafeString:
    """An accessible SVG bar chart; each bar carries its own <title> so hovering shows the figure.

    unit names what the bars count ("posts", "ms"), shown beside the tallest bar's value.
    """
    top = max((bar.value for bar in bars), default=0)
    plot_height = HEIGHT - LABEL_SPACE
    step = WIDTH / max(len(bars), 1)
    rects = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
        (_bar_geometry(bar, index, step, top, plot_height) for index, bar in enumerate(bars)),
    )
    return format_html(
        '<svg class="desk-chart" role="img" aria-label="{title}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        '<line x1="0" y1="{base}" x2="{w}" y2="{base}" stroke="#ccc"/>{rects}'
        '<text x="0" y="{text_y}" font-size="11" fill="#666">{first}</text>'
        '<text x="{w}" y="{text_y}" font-size="11" fill="#666" text-anchor="end">{last}</text>'
        '<text x="{w}" y="11" font-size="11" fill="#666" text-anchor="end">max {top}</text></svg>',
        title=title,
        w=WIDTH,
        h=HEIGHT,
        text_y=HEIGHT - 3,
        base=plot_height,
        rects=rects,
        first=first_label,
        last=last_label,
        top=f"{top:g} {unit}".strip(),
    )


def _bar_geometry(bar: Bar, index: int, step: float, top: float, plot_height: int) -> tuple:
    height = (bar.value / top * (plot_height - 14)) if top else 0
    # A zero still gets a hairline, so a day with nothing is visibly a day and still has a tooltip.
    height = max(height, 1)
    geometry = (index * step + step * 0.1, plot_height - height, step * 0.8, height)
    # format_html escapes its arguments into strings, so numbers are formatted here.
    return (*(f"{number:.1f}" for number in geometry), COLOURS[bar.kind], bar.tooltip)
