"""Server-side SVG bar charts."""

from operations.charts import Bar, bar_chart


def test_bars_scale_to_the_largest_value_and_escape_their_text():
    svg = bar_chart(
        [Bar(0, "nothing"), Bar(5, "half"), Bar(10, "<b>all</b>", "error")],
        title='Views & "visits"',
        first_label="01 Nov",
        last_label="today",
    )
    assert svg.startswith('<svg class="desk-chart" role="img" aria-label="Views &amp; &quot;visits&quot;"')
    assert svg.count("<rect") == 3
    assert "<title>&lt;b&gt;all&lt;/b&gt;</title>" in svg
    assert 'fill="#c0392b"' in svg
    heights = [float(part.split('"')[0]) for part in svg.split('height="')[2:]]
    assert heights[0] == 1.0  # a zero still shows as a hairline
    assert heights[2] == 2 * heights[1]
    assert "max 10" in svg


def test_an_empty_chart_still_renders():
    svg = bar_chart([], title="Nothing yet")
    assert "<rect" not in svg
    assert svg.endswith("</svg>")
