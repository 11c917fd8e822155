"""Reads other than searching the findings (search/): an authority's inspections and themes, the
archive's and each theme's figures, and spelling suggestions for a search that finds nothing."""

import re
from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    Prefetch,
    QuerySet,
    Value,
)
from django.db.models.functions import ExtractYear

from .choices import FindingKind, JudgementArea
from .models import Authority, Finding, FindingTheme, Inspection, Judgement, Theme
from .search import SEARCH_CONFIG, by_version


def judgements_in_report_order() -> QuerySet:
    """Judgements in the contract's order of areas (overall effectiveness first), not alphabetical."""
    # array_position rather than a CASE of one WHEN per area: the same order, a tenth of the work for
    # Django to build on every page that lists judgements
    areas = Value(JudgementArea.values, output_field=ArrayField(CharField()))
    return Judgement.objects.order_by(
        Func(areas, F("area"), function="array_position", output_field=IntegerField())
    )


def inspections_with_judgements(queryset: QuerySet) -> QuerySet:
    """Inspections with their authority and judgements, without their reports' whole text."""
    return (
        queryset.select_related("authority")
        .defer("text")
        .prefetch_related(Prefetch("judgements", queryset=judgements_in_report_order()))
    )


def authority_timeline(authority: Authority) -> QuerySet:
    """Every inspection of an authority and of the councils it replaced, newest first."""
    predecessors = [council.pk for council in authority.replaces.all()]  # prefetched by the page
    return inspections_with_judgements(
        Inspection.objects.filter(authority__in=[authority.pk, *predecessors]).order_by("-date", "-pk")
    )


# From the tallies the database keeps of the findings (FindingTally): a few hundred rows an
# authority, where its findings' own themes were thousands (9 ms an authority of 7,000 findings).
AUTHORITY_THEME_COUNTS = """
SELECT theme_id, sum(findings) FROM inspections_findingtally
WHERE authority_id = %s AND theme_id IS NOT NULL
GROUP BY 1
"""


def authority_theme_counts(authority: Authority) -> list[Theme]:
    """The themes of an authority's findings, each with `.count` (how many carry it), most first."""
    with connection.cursor() as cursor:
        cursor.execute(AUTHORITY_THEME_COUNTS, [authority.pk])
        counts = dict(cursor.fetchall())
    themes = list(Theme.objects.filter(pk__in=counts))
    for theme in themes:
        theme.count = counts[theme.pk]
    return sorted(themes, key=lambda theme: (-theme.count, theme.name))


# Archive-wide figures (the home page, the themes): a million findings take too long to count on
# every request, so they are cached under the archive's version, like search counts, and are never
# served after a change to the archive.


def archive_figures() -> dict:
    """How many current authorities, inspections and findings, the first and last inspection
    dates, and how many findings carry each theme (`theme_counts`, by theme id)."""

    def compute():
        figures = Inspection.objects.aggregate(inspections=Count("pk"), first=Min("date"), last=Max("date"))
        figures["authorities"] = Authority.objects.current().count()
        figures["findings"] = Finding.objects.count()
        tags = FindingTheme.objects.order_by().values_list("theme").annotate(n=Count("*"))
        figures["theme_counts"] = dict(tags)
        return figures

    return by_version("archive-figures", compute)


def themes_with_counts(figures: dict | None = None) -> list[Theme]:
    """Every theme with `.finding_count`, how many findings carry it, by name."""
    counts = (figures or archive_figures())["theme_counts"]
    themes = list(Theme.objects.order_by("name"))
    for theme in themes:
        theme.finding_count = counts.get(theme.pk, 0)
    return themes


@dataclass
class ThemeFigures:
    by_year: dict[int, dict[str, int]]  # year -> finding kind -> findings with the theme
    top_authorities: list[tuple[int, int]]  # (authority id, areas for improvement), most first
    total: int


def theme_figures(theme: Theme) -> ThemeFigures:
    """A theme's findings by year and kind, and the authorities with most areas for improvement
    about it (read from the findings' own copies of their dates, authorities and themes)."""

    def compute():
        tagged = Finding.objects.filter(theme_ids__contains=[theme.pk]).order_by()
        by_year: dict[int, dict[str, int]] = {}
        dated = tagged.filter(inspection_date__isnull=False).annotate(year=ExtractYear("inspection_date"))
        for year, kind, n in dated.values_list("year", "kind").annotate(n=Count("*")):
            by_year.setdefault(year, {})[kind] = n
        top = (
            tagged.filter(kind=FindingKind.AREA_FOR_IMPROVEMENT)
            .values_list("authority_id")
            .annotate(n=Count("*"))
            .order_by("-n", "authority__short_name")
        )
        return ThemeFigures(by_year, list(top[:10]), tagged.count())

    return by_version(f"theme-figures:{theme.pk}", compute)


# The words of a query that the table of words could hold (letters, 3 to 40), each with what comes
# before it: a word after "-" is one left out, which a suggestion leaves alone.
QUERY_WORD = re.compile(r"(^|[^a-z])([a-z]{3,40})(?![a-z])", re.IGNORECASE)

# The words most like one the archive lacks, by trigram similarity (at least pg_trgm's threshold,
# 0.3), read from the trigram index (migration 0011), each checked to match a finding still (one
# holding it may have been deleted since); suggest_spelling picks the fewest edits away among them.
SIMILAR_WORDS_SQL = """
SELECT word FROM inspections_searchword
WHERE word %% %(word)s AND word <> %(word)s
  AND EXISTS (
      SELECT 1 FROM inspections_finding
      WHERE search_vector @@ plainto_tsquery(%(config)s::regconfig, word) LIMIT 1)
ORDER BY similarity(word, %(word)s) DESC, word
LIMIT 10
"""


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the letters inserted, deleted or changed to make one word the other."""
    previous = list(range(len(b) + 1))
    for i, letter in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (letter != other)))
        previous = current
    return previous[-1]


# A long query of unknown words costs a look-up each: the first few are enough to suggest.
SUGGESTED_WORDS_AT_MOST = 8


def suggest_spelling(query_text: str) -> str | None:
    """The query with each word the archive's findings never use replaced by the closest one they
    do ("supervison" → "supervision"), or None when every word is theirs or none is close."""
    words = {match.group(2).lower() for match in QUERY_WORD.finditer(query_text) if match.group(1) != "-"}
    if not words:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM inspections_searchword WHERE word = ANY(%s)", [sorted(words)])
        known = {word for (word,) in cursor.fetchall()}
        replacements = {}
        for word in sorted(words - known)[:SUGGESTED_WORDS_AT_MOST]:
            cursor.execute(SIMILAR_WORDS_SQL, {"word": word, "config": SEARCH_CONFIG})
            # the fewest edits away ("protecton": protection, not protect), then the most similar
            similar = [found for (found,) in cursor.fetchall()]
            if similar:
                replacements[word] = min(similar, key=lambda found: edit_distance(word, found))
    if not replacements:
        return None

    def replace(match: re.Match) -> str:
        before, word = match.groups()
        return before + replacements.get(word.lower(), word)

    return QUERY_WORD.sub(replace, query_text)
