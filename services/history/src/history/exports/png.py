"""The progress chart as a PNG, drawn with Pillow from the same layout as the SVG."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from history.domain.chart import (
    AVERAGE_COLOR,
    GRID_COLOR,
    MARGIN_RIGHT,
    MARGIN_TOP,
    SCORE_COLOR,
    TEXT_COLOR,
    ChartLayout,
)

_ANCHORS = {"start": "ls", "middle": "ms", "end": "rs"}


def chart_png(chart: ChartLayout) -> bytes:
    """The chart as the bytes of a PNG image."""
    image = Image.new("RGB", (chart.width, chart.height), "#ffffff")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=12)
    small = ImageFont.load_default(size=11)
    for start, end in chart.grid:
        draw.line([(start.x, start.y), (end.x, end.y)], fill=GRID_COLOR, width=1)
    if len(chart.averages) > 1:
        draw.line([(p.x, p.y) for p in chart.averages], fill=AVERAGE_COLOR, width=2)
    if len(chart.scores) > 1:
        draw.line([(p.x, p.y) for p in chart.scores], fill=SCORE_COLOR, width=2)
    if len(chart.scores) <= 60:
        for p in chart.scores:
            draw.ellipse([(p.x - 3, p.y - 3), (p.x + 3, p.y + 3)], fill=SCORE_COLOR)
    for label in chart.labels:
        draw.text(
            (label.at.x, label.at.y),
            label.text,
            fill=TEXT_COLOR,
            font=font,
            anchor=_ANCHORS.get(label.anchor, "ms"),
        )
    for index, (name, color) in enumerate(chart.legend):
        x = chart.width - MARGIN_RIGHT - 240 + index * 120
        draw.rectangle([(x, MARGIN_TOP - 16), (x + 12, MARGIN_TOP - 14)], fill=color)
        draw.text((x + 16, MARGIN_TOP - 12), name, fill=TEXT_COLOR, font=small, anchor="ls")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
