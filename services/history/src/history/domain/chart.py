"""A progress chart: the geometry once, then drawn as SVG here or as PNG by an adapter."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from history.domain.progress import Series

WIDTH = 720
HEIGHT = 360
MARGIN_LEFT = 48
MARGIN_RIGHT = 20
MARGIN_TOP = 40
MARGIN_BOTTOM = 44
SCORE_COLOR = "#2563eb"
AVERAGE_COLOR = "#f97316"
GRID_COLOR = "#e5e7eb"
TEXT_COLOR = "#374151"


@dataclass(frozen=True)
class Point:
    """A position on the canvas, in pixels from the top left."""

    x: float
    y: float


@dataclass(frozen=True)
class Label:
    """Text placed on the canvas; ``anchor`` is start, middle or end."""

    text: str
    at: Point
    anchor: str = "middle"


@dataclass(frozen=True)
class ChartLayout:
    """Everything to draw, in canvas coordinates."""

    width: int
    height: int
    title: str
    grid: list[tuple[Point, Point]]
    labels: list[Label]
    scores: list[Point]
    averages: list[Point]
    legend: list[tuple[str, str]]


def layout(series: Series, title: str, *, width: int = WIDTH, height: int = HEIGHT) -> ChartLayout:
    """Place a series' scores and moving average on a 0-100 chart, one step per attempt."""
    left, right = MARGIN_LEFT, width - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, height - MARGIN_BOTTOM
    count = len(series.points)

    def x_at(index: int) -> float:
        if count <= 1:
            return (left + right) / 2
        return left + (right - left) * index / (count - 1)

    def y_at(score: float) -> float:
        return bottom - (bottom - top) * max(0.0, min(100.0, score)) / 100

    grid = []
    labels = [Label(title, Point(left, MARGIN_TOP / 2 + 4), anchor="start")]
    for score in range(0, 101, 20):
        y = y_at(score)
        grid.append((Point(left, y), Point(right, y)))
        labels.append(Label(str(score), Point(left - 8, y + 4), anchor="end"))
    if count:
        first, last = series.points[0], series.points[-1]
        labels.append(Label(f"{first.at:%Y-%m-%d}", Point(left, bottom + 20), anchor="start"))
        if count > 1:
            labels.append(Label(f"{last.at:%Y-%m-%d}", Point(right, bottom + 20), anchor="end"))
        labels.append(
            Label(
                f"{count} attempts; trend: {series.trend.direction}", Point(width / 2, bottom + 36)
            )
        )
    else:
        labels.append(Label("no graded attempts yet", Point(width / 2, (top + bottom) / 2)))
    return ChartLayout(
        width=width,
        height=height,
        title=title,
        grid=grid,
        labels=labels,
        scores=[Point(x_at(i), y_at(p.score)) for i, p in enumerate(series.points)],
        averages=[Point(x_at(i), y_at(p.moving_average)) for i, p in enumerate(series.points)],
        legend=[("score", SCORE_COLOR), ("moving average", AVERAGE_COLOR)],
    )


def _path(points: list[Point]) -> str:
    return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in points)


def render_svg(chart: ChartLayout) -> str:
    """The chart as a standalone SVG document."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{chart.width}" height="{chart.height}" '
        f'viewBox="0 0 {chart.width} {chart.height}" role="img" '
        f'aria-label="{escape(chart.title, {chr(34): "&quot;"})}">',
        f"<title>{escape(chart.title)}</title>",
        f'<rect width="{chart.width}" height="{chart.height}" fill="#ffffff"/>',
    ]
    for start, end in chart.grid:
        parts.append(
            f'<line x1="{start.x:.1f}" y1="{start.y:.1f}" x2="{end.x:.1f}" y2="{end.y:.1f}" '
            f'stroke="{GRID_COLOR}" stroke-width="1"/>'
        )
    if len(chart.averages) > 1:
        parts.append(
            f'<polyline points="{_path(chart.averages)}" fill="none" stroke="{AVERAGE_COLOR}" '
            'stroke-width="2" stroke-dasharray="6 4"/>'
        )
    if len(chart.scores) > 1:
        parts.append(
            f'<polyline points="{_path(chart.scores)}" fill="none" stroke="{SCORE_COLOR}" '
            'stroke-width="2"/>'
        )
    # Dots only while they stay readable; a long history is a line.
    if len(chart.scores) <= 60:
        parts += [
            f'<circle cx="{p.x:.1f}" cy="{p.y:.1f}" r="3" fill="{SCORE_COLOR}"/>'
            for p in chart.scores
        ]
    for label in chart.labels:
        parts.append(
            f'<text x="{label.at.x:.1f}" y="{label.at.y:.1f}" text-anchor="{label.anchor}" '
            f'font-family="sans-serif" font-size="12" fill="{TEXT_COLOR}">'
            f"{escape(label.text)}</text>"
        )
    for index, (name, color) in enumerate(chart.legend):
        x = chart.width - MARGIN_RIGHT - 240 + index * 120
        parts.append(
            f'<rect x="{x}" y="{MARGIN_TOP - 16}" width="12" height="3" fill="{color}"/>'
            f'<text x="{x + 16}" y="{MARGIN_TOP - 12}" font-family="sans-serif" '
            f'font-size="11" fill="{TEXT_COLOR}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
