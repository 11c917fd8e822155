"""Small server-rendered SVG charts. Each comes with its data for a text alternative (a table)."""

from dataclasses import dataclass
from datetime import date

from .choices import Grade

# Best at the top; "adequate" (pre-2013) sits between good and requires improvement.
GRADE_LEVELS = [Grade.OUTSTANDING, Grade.GOOD, Grade.ADEQUATE, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE]


@dataclass
class Point:
    x: float
    y: float
    label: str


@dataclass
class GradeChart:
    width: int
    height: int
    rows: list[tuple[float, str]]  # (y, grade label) guide lines
    years: list[tuple[float, int]]  # (x, year) axis ticks
    series: list[dict]  # {"name", "css", "points": [Point], "path": "M..."}


SERIES_STYLES = ["series-a", "series-b", "series-c", "series-d", "series-e", "series-f"]


def grade_chart(
    series: dict[str, list[tuple[date, str]]], width: int = 720, height: int = 240, styles=SERIES_STYLES
) -> GradeChart | None:
    """Grades over time, one line per series (a judgement area, or an authority compared):
    {label: [(date, grade slug), ...]}; each line takes the next of `styles` (CSS classes)."""
    dated = [when for points in series.values() for when, _ in points]
    if not dated:
        return None
    left, right, top, bottom = 150, 20, 16, 30
    first, last = min(dated).year, max(dated).year + 1
    span = max(last - first, 1)

    def x_of(when: date) -> float:
        return left + (when.year - first + (when.timetuple().tm_yday - 1) / 366) / span * (
            width - left - right
        )

    def y_of(grade: str) -> float:
        index = [level.value for level in GRADE_LEVELS].index(grade)
        return top + index * (height - top - bottom) / (len(GRADE_LEVELS) - 1)

    chart_series = []
    for index, (name, points) in enumerate(series.items()):
        plotted = [
            Point(x_of(when), y_of(grade), f"{when:%B %Y}: {Grade(grade).label}") for when, grade in points
        ]
        plotted.sort(key=lambda point: point.x)
        path = " ".join(f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(plotted))
        chart_series.append(
            {"name": name, "css": styles[index % len(styles)], "points": plotted, "path": path}
        )
    return GradeChart(
        width=width,
        height=height,
        rows=[(y_of(level.value), level.label.removesuffix(" to be good")) for level in GRADE_LEVELS],
        years=[(x_of(date(year, 1, 1)), year) for year in range(first, last + 1)],
        series=chart_series,
    )


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    years: list[tuple[float, int]]
    max_count: int
    legend: list[tuple[str, str]]


def stacked_bars(
    counts: dict[int, dict[str, int]], labels: dict[str, str], width=720, height=220
) -> BarChart | None:
    """Counts per year stacked by category: {year: {category: count}}."""
    if not counts:
        return None
    left, right, top, bottom = 40, 10, 10, 30
    years = list(range(min(counts), max(counts) + 1))
    max_count = max(sum(by_kind.values()) for by_kind in counts.values()) or 1
    slot = (width - left - right) / len(years)
    categories = [category for category in labels if any(category in counts.get(y, {}) for y in years)]
    styles = {category: SERIES_STYLES[i % len(SERIES_STYLES)] for i, category in enumerate(categories)}
    bars = []
    for index, year in enumerate(years):
        base = height - bottom
        for category in categories:
            count = counts.get(year, {}).get(category, 0)
            if not count:
                continue
            bar_height = count / max_count * (height - top - bottom)
            base -= bar_height
            bars.append(
                Bar(left + index * slot + slot * 0.15, base, slot * 0.7, bar_height, styles[category],
                    f"{year}: {count} {labels[category].lower()}")
            )  # fmt: skip
    return BarChart(
        width=width,
        height=height,
        bars=bars,
        years=[(left + i * slot + slot / 2, year) for i, year in enumerate(years)],
        max_count=max_count,
        legend=[(labels[category], styles[category]) for category in categories],
    )
