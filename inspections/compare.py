"""What people come back for: authorities side by side (their overall grades over time, and the themes
of their improvement points against the national rate), and the themes an authority is asked to
improve in inspection after inspection.

"Improvement points" are the finding kinds the search's "All improvement points" takes together
(areas for improvement or development, priority actions and recommendations: choices.IMPROVEMENT_KINDS),
whatever each generation of report calls them.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify

from .choices import IMPROVEMENT_KINDS, FindingKind, InspectionKind
from .grades import OVERALL, latest_grade_annotations, no_overall_grade_label
from .models import Authority, Inspection, Judgement, Theme
from .search import by_version

MAX_COMPARED = 12
IMPROVEMENT = [str(kind) for kind in IMPROVEMENT_KINDS]


# Which authorities ------------------------------------------------------------------------------


@dataclass
class Chosen:
    """The authorities asked for: those found (at most MAX_COMPARED, in the order given, each once),
    the values that name no authority, and those found beyond the limit."""

    authorities: list[Authority]
    unknown: list[str]
    left_out: list[Authority]

    @property
    def found(self) -> int:
        return len(self.authorities) + len(self.left_out)


def chosen_authorities(values: list[str]) -> Chosen:
    """The authorities named by slug ("leeds"), or by name in any case ("Bath and North East Somerset")."""
    wanted = list(dict.fromkeys(slugify(value) for value in values if value.strip()))
    found = {
        authority.slug: authority
        for authority in Authority.objects.annotate(**latest_grade_annotations()).filter(slug__in=wanted)
    }
    named = [value for value in dict.fromkeys(value.strip() for value in values) if value]
    unknown = [value for value in named if slugify(value) not in found]
    authorities = [found[slug] for slug in wanted if slug in found]
    return Chosen(authorities[:MAX_COMPARED], unknown, authorities[MAX_COMPARED:])


def compare_url(authorities: list[Authority]) -> str:
    """The compare page for these authorities (the first MAX_COMPARED)."""
    query = [("authority", authority.slug) for authority in authorities[:MAX_COMPARED]]
    return f"{reverse('compare')}?{urlencode(query)}"


# Overall grades over time -----------------------------------------------------------------------


@dataclass
class GradedInspection:
    """An inspection that graded something, with its overall effectiveness grade (None under the
    2026 ILACS framework, which gives none)."""

    authority_id: int
    inspection_id: int
    date: date | None
    kind: str
    grade: str | None

    @property
    def no_grade_label(self) -> str:
        return no_overall_grade_label(self.kind)


def graded_inspections(authorities: list[Authority]) -> dict[int, list[GradedInspection]]:
    """Each authority's inspections that graded anything, oldest first, with their overall grade."""
    overall = Judgement.objects.filter(inspection=OuterRef("pk"), area=OVERALL).values("grade")[:1]
    inspections = (
        Inspection.objects.filter(authority__in=authorities)
        .filter(Exists(Judgement.objects.filter(inspection=OuterRef("pk"))))
        .annotate(overall=Subquery(overall))
        .order_by("date", "pk")
        .values_list("authority_id", "pk", "date", "kind", "overall")
    )
    graded: dict[int, list[GradedInspection]] = {authority.pk: [] for authority in authorities}
    for row in inspections:
        graded[row[0]].append(GradedInspection(*row))
    return graded


@dataclass
class GradeYear:
    """One year of the side-by-side table: each authority's graded inspections that year."""

    year: int | None
    cells: list[list[GradedInspection]]


def grade_years(authorities: list[Authority], graded: dict[int, list[GradedInspection]]) -> list[GradeYear]:
    """The years any of the authorities was graded, newest first (undated last)."""
    by_year: dict[int | None, dict[int, list[GradedInspection]]] = defaultdict(lambda: defaultdict(list))
    for authority_id, inspections in graded.items():
        for inspection in inspections:
            by_year[inspection.date.year if inspection.date else None][authority_id].append(inspection)
    years = sorted(by_year, key=lambda year: (year is None, -(year or 0)))
    return [GradeYear(year, [by_year[year][authority.pk] for authority in authorities]) for year in years]


def grade_series(
    authorities: list[Authority], graded: dict[int, list[GradedInspection]]
) -> dict[str, list[tuple[date, str]]]:
    """The chart's lines: each authority's dated overall grades (charts.grade_lines’ input)."""
    return {
        authority.short_name: [(i.date, i.grade) for i in graded[authority.pk] if i.date and i.grade]
        for authority in authorities
    }


# Themes of the improvement points against the national rate -------------------------------------

IMPROVEMENT_TOTALS = """
SELECT authority_id, count(*) FROM inspections_finding
WHERE kind = ANY(%s) AND authority_id = ANY(%s) GROUP BY 1
"""
# unnest() in the select list, as the search's theme tally does.
IMPROVEMENT_THEMES = """
SELECT authority_id, theme_id, count(*)
FROM (SELECT authority_id, unnest(theme_ids) AS theme_id FROM inspections_finding
      WHERE kind = ANY(%s) AND authority_id = ANY(%s)) AS tagged
GROUP BY 1, 2
"""
NATIONAL_THEMES = """
SELECT theme_id, count(*)
FROM (SELECT unnest(theme_ids) AS theme_id FROM inspections_finding WHERE kind = ANY(%s)) AS tagged
GROUP BY 1
"""
NATIONAL_TOTAL = "SELECT count(*) FROM inspections_finding WHERE kind = ANY(%s)"


def percent(share: float) -> str:
    """A share as a whole percentage; one under 1% is not shown as none."""
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def improvement_url(slug: str, theme: str | None = None) -> str:
    """The search for an authority's improvement points (with a theme)."""
    query = {"authority": slug, **({"theme": theme} if theme else {}), "kind": "improvement"}
    return f"{reverse('finding-search')}?{urlencode(query)}"


@dataclass
class ThemeShare:
    """How many of an authority's improvement points carry a theme, and their share of all of them."""

    count: int
    total: int
    national: float
    url: str

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def percent(self) -> str:
        return percent(self.share)

    @property
    def above_national(self) -> bool:
        """Above the national rate, and in more than one finding (one alone is no pattern)."""
        return self.count >= 2 and self.share > self.national


@dataclass
class ThemeRow:
    theme: Theme
    national_count: int
    national_total: int
    shares: list[ThemeShare] = field(default_factory=list)

    @property
    def national(self) -> float:
        return self.national_count / self.national_total if self.national_total else 0.0

    @property
    def national_percent(self) -> str:
        return percent(self.national)


def national_theme_counts() -> tuple[dict[int, int], int]:
    """Every authority's improvement points together: how many carry each theme (by id), and how many
    there are. Cached under the archive's version (a million findings take too long on each request)."""

    def compute():
        with connection.cursor() as cursor:
            cursor.execute(NATIONAL_THEMES, [IMPROVEMENT])
            counts = dict(cursor.fetchall())
            cursor.execute(NATIONAL_TOTAL, [IMPROVEMENT])
            return counts, cursor.fetchone()[0]

    return by_version("national-improvement-themes", compute)


def improvement_themes(authorities: list[Authority]) -> list[ThemeRow]:
    """Each theme any of the authorities' improvement points carries, with each authority's share
    against the national rate (the share of every authority's improvement points), most common
    nationally first. Each authority is given `.improvement_total` and `.improvement_url`."""
    ids = [authority.pk for authority in authorities]
    with connection.cursor() as cursor:
        cursor.execute(IMPROVEMENT_TOTALS, [IMPROVEMENT, ids])
        totals = dict(cursor.fetchall())
        cursor.execute(IMPROVEMENT_THEMES, [IMPROVEMENT, ids])
        counts: dict[int, dict[int, int]] = defaultdict(dict)
        for authority_id, theme_id, count in cursor.fetchall():
            counts[theme_id][authority_id] = count
    national, national_total = national_theme_counts()
    rows = []
    for theme in Theme.objects.filter(pk__in=counts).only("slug", "name"):
        row = ThemeRow(theme, national.get(theme.pk, 0), national_total)
        row.shares = [
            ThemeShare(
                counts[theme.pk].get(authority.pk, 0),
                totals.get(authority.pk, 0),
                row.national,
                improvement_url(authority.slug, theme.slug),
            )
            for authority in authorities
        ]
        rows.append(row)
    rows.sort(key=lambda row: (-row.national, row.theme.name))
    for authority in authorities:
        authority.improvement_total = totals.get(authority.pk, 0)
        authority.improvement_url = improvement_url(authority.slug)
    return rows


# Recurring themes on an authority's page --------------------------------------------------------

RECURRING_SQL = """
SELECT theme_id, inspection_id, inspection_date, inspection_kind, "order", kind, number, text
FROM (SELECT unnest(theme_ids) AS theme_id, inspection_id, inspection_date, inspection_kind, "order", kind,
             number, text
      FROM inspections_finding WHERE authority_id = ANY(%s) AND kind = ANY(%s)) AS tagged
ORDER BY theme_id, inspection_date NULLS LAST, inspection_id, "order"
"""


@dataclass
class RecurringFinding:
    order: int
    kind: str
    number: int | None
    text: str

    @property
    def kind_label(self) -> str:
        return FindingKind(self.kind).label


@dataclass
class RecurringInspection:
    inspection_id: int
    date: date | None
    kind: str
    findings: list[RecurringFinding] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return InspectionKind(self.kind).label


# An authority's page lists the findings of a recurring theme's latest inspections only: an authority
# inspected for decades (a hundred inspections each in the bench's synthetic archive) would otherwise
# list every improvement point it was ever given under every theme (900 KB, 0.17 s a page). The rest
# are one link away, in the search.
RECURRING_SHOWN = 4


@dataclass
class RecurringTheme:
    theme: Theme
    inspections: list[RecurringInspection]

    @property
    def years(self) -> list[int]:
        return sorted({inspection.date.year for inspection in self.inspections if inspection.date})

    @property
    def shown(self) -> list[RecurringInspection]:
        """The latest RECURRING_SHOWN of its inspections, oldest first, as the page lists them."""
        return self.inspections[-RECURRING_SHOWN:]

    @property
    def earlier(self) -> int:
        """How many earlier inspections the page does not list."""
        return len(self.inspections) - len(self.shown)


def recurring_themes(authority_ids: list[int]) -> list[RecurringTheme]:
    """The themes the authority's improvement points (areas for improvement, priority actions,
    recommendations) carry in two or more of its inspections, each with those inspections (oldest
    first) and their findings; the most recurrent first, then the most recently named."""
    by_theme: dict[int, dict[int, RecurringInspection]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(RECURRING_SQL, [authority_ids, IMPROVEMENT])
        for theme_id, inspection_id, when, inspection_kind, order, kind, number, text in cursor.fetchall():
            inspections = by_theme[theme_id]
            if inspection_id not in inspections:
                inspections[inspection_id] = RecurringInspection(inspection_id, when, inspection_kind)
            inspections[inspection_id].findings.append(RecurringFinding(order, kind, number, text))
    recurring = {theme_id: list(found.values()) for theme_id, found in by_theme.items() if len(found) >= 2}
    themes = Theme.objects.filter(pk__in=recurring).only("slug", "name")
    result = [RecurringTheme(theme, recurring[theme.pk]) for theme in themes]

    def latest(item: RecurringTheme) -> date:
        return max((inspection.date for inspection in item.inspections if inspection.date), default=date.min)

    result.sort(key=lambda item: item.theme.name)
    result.sort(key=lambda item: (len(item.inspections), latest(item)), reverse=True)
    return result
