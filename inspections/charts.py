"""Small server-rendered charts: an authority's grades as a table of coloured cells, and a theme's
findings per year as SVG bars with their data for a text alternative (a table)."""

from dataclasses import dataclass

from .choices import InspectionKind, JudgementArea

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
