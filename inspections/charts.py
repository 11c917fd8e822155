"""Small server-rendered charts: an authority's grades as a table of coloured cells, authorities'
grades over time as SVG lines (the compare page), and a theme's findings per year as SVG bars, each
with its data for a text alternative (a table)."""

from dataclasses import dataclass
from datetime import date

from .choices import Grade, InspectionKind, JudgementArea

# The inspection types that grade, as the grade chart's column heads abbreviate them.
KIND_SHORT = {
    InspectionKind.SLAC: "SLAC",
    InspectionKind.LAC_2012: "LAC",
    InspectionKind.CHILD_PROTECTION_2012: "CP",
    InspectionKind.SIF: "SIF",
    InspectionKind.ILACS: "ILACS",
}
# From this many inspections a grade is shown by its initials (RI), with a key, in a narrower column.
COMPACT_FROM = 7


@dataclass
class GradeColumn:
    inspection: object  # an Inspection with its judgements
    kind_short: str


@dataclass
class GradeChart:
    columns: list[GradeColumn]  # every inspection that graded something, oldest first
    rows: list[tuple[str, list[str | None]]]  # (judgement area, its grade in each column or None)
    compact: bool


def grade_chart(inspections) -> GradeChart | None:
    """An authority's grades over time: a row for each judgement area any of its inspections graded,
    in the contract's order, and a column for each inspection that graded anything, oldest first.
    Cells rather than lines over a time axis: the seven grades of a single inspection, or twenty
    inspections' grades months apart, each keep a cell of their own instead of overlapping."""
    graded = [inspection for inspection in inspections if inspection.judgements.all()]
    if not graded:
        return None
    grades = [{judgement.area: judgement.grade for judgement in i.judgements.all()} for i in graded]
    areas = [area for area in JudgementArea if any(area.value in given for given in grades)]
    return GradeChart(
        columns=[GradeColumn(i, KIND_SHORT.get(i.kind, i.get_kind_display())) for i in graded],
        rows=[(area.label, [given.get(area.value) for given in grades]) for area in areas],
        compact=len(graded) >= COMPACT_FROM,
    )


SERIES_STYLES = ["series-a", "series-b", "series-c", "series-d", "series-e", "series-f"]
# Best at the top; "adequate" (pre-2013) sits between good and requires improvement.
GRADE_LEVELS = [Grade.OUTSTANDING, Grade.GOOD, Grade.ADEQUATE, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE]


@dataclass
class Point:
    x: float
    y: float
    label: str


@dataclass
class LineChart:
    width: int
    height: int
    rows: list[tuple[float, str]]  # (y, grade label) guide lines
    years: list[tuple[float, int]]  # (x, year) axis ticks
    series: list[dict]  # {"name", "css", "points": [Point], "path": "M..."}


def grade_lines(
    series: dict[str, list[tuple[date, str]]], width: int = 720, height: int = 240, styles=SERIES_STYLES
) -> LineChart | None:
    """Grades over time, one line per series (an authority compared): {label: [(date, grade slug)]};
    each line takes the next of `styles` (CSS classes)."""
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
    return LineChart(
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
