"""Reads: the queries behind the pages, the exports and the API, all through the FilterSets."""

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchHeadline, SearchRank
from django.db.models import Case, Count, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value, When
from django.db.models.functions import Length, Replace
from django.db.models.lookups import LessThanOrEqual
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .choices import FindingKind, Grade, InspectionKind, JudgementArea, Region
from .filters import FindingFilterSet, effective_grade_judgements, search_query
from .models import Authority, Finding, FindingTheme, Inspection, Judgement

SORTS = {
    "relevance": "Most relevant",
    "newest": "Newest first",
    "oldest": "Oldest first",
}
# Private-use characters mark the matches inside ts_headline's output, so the text can be escaped
# first and the marks turned into <mark> tags after: the finding's own text is never trusted as HTML.
MATCH_START, MATCH_END = "\ue000", "\ue001"
# Findings up to this long are shown whole in search results, longer ones as matching fragments.
WHOLE_SNIPPET_MAX_CHARS = 500
# ts_headline drops anything that looks like an HTML tag; angle brackets are swapped for these
# before it runs and swapped back (escaped) after, so a finding's text is shown exactly as written.
LESS_THAN, GREATER_THAN = "\ue002", "\ue003"


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption] = field(default_factory=list)


def finding_results(filterset: FindingFilterSet, sort: str) -> QuerySet:
    """The filtered findings in the order asked for, ready to paginate."""
    findings = filterset.qs.select_related("inspection__authority")
    query_text = filterset.search_text
    if sort == "relevance" and query_text:
        rank = SearchRank(F("search_vector"), search_query(query_text), cover_density=True)
        return findings.annotate(rank=rank).order_by("-rank", "-inspection__date", "inspection_id", "order")
    if sort == "oldest":
        return findings.order_by("inspection__date", "inspection_id", "order")
    return findings.order_by("-inspection__date", "-inspection_id", "order")


def with_snippets(findings: list[Finding], query_text: str) -> list[Finding]:
    """Give each finding on a page `.snippet`: its text with the matches marked, escaped for HTML."""
    if not findings:
        return findings
    if query_text:
        text = Replace(Replace("text", Value("<"), Value(LESS_THAN)), Value(">"), Value(GREATER_THAN))
        marks = {"config": "english", "start_sel": MATCH_START, "stop_sel": MATCH_END}
        fragments = SearchHeadline(
            text,
            search_query(query_text),
            max_words=60,
            min_words=30,
            max_fragments=3,
            fragment_delimiter=" … ",
            **marks,
        )
        # Fragments drop a short finding's first stop word and final full stop: show it whole.
        whole = SearchHeadline(text, search_query(query_text), highlight_all=True, **marks)
        headline = Case(
            When(LessThanOrEqual(Length("text"), WHOLE_SNIPPET_MAX_CHARS), then=whole), default=fragments
        )
        headlines = dict(
            Finding.objects.filter(pk__in=[finding.pk for finding in findings])
            .annotate(headline=headline)
            .values_list("pk", "headline")
        )
    else:
        headlines = {}
    for finding in findings:
        text = headlines.get(finding.pk) or finding.text
        finding.snippet = mark_safe(  # the text was escaped just before
            escape(text)
            .replace(MATCH_START, "<mark>")
            .replace(MATCH_END, "</mark>")
            .replace(LESS_THAN, "&lt;")
            .replace(GREATER_THAN, "&gt;")
        )
    return findings


def with_themes(findings: list[Finding]) -> list[Finding]:
    """Attach each finding's themes, with the words that matched, in one query."""
    tags = FindingTheme.objects.filter(finding__in=findings).select_related("theme").order_by("theme__name")
    by_finding: dict[int, list[FindingTheme]] = {}
    for tag in tags:
        by_finding.setdefault(tag.finding_id, []).append(tag)
    for finding in findings:
        finding.theme_tags = by_finding.get(finding.pk, [])
    return findings


def finding_facets(filterset: FindingFilterSet) -> list[Facet]:
    """Counts for every filter option within the other filters: a facet ignores its own selection,
    so its options read as "how many if I also ticked this". One grouped query per facet; the
    FilterSet's already-validated values are reused, so nothing is looked up twice."""
    cleaned = {}
    if filterset.is_bound:
        filterset.is_valid()  # invalid values are left out of cleaned_data, as in the results
        cleaned = filterset.form.cleaned_data

    def without(name: str) -> QuerySet:
        queryset = filterset.queryset.all()
        for field_name, value in cleaned.items():
            if field_name != name:
                queryset = filterset.filters[field_name].filter(queryset, value)
        return queryset.order_by()

    def counts(queryset: QuerySet, *columns: str) -> dict[str, tuple[str, int]]:
        rows = queryset.values_list(*columns).annotate(count=Count("pk"))
        return {
            row[0]: (row[1] if len(columns) > 1 else row[0], row[-1]) for row in rows if row[0] is not None
        }

    grade_of = Subquery(effective_grade_judgements().values("grade")[:1])
    tallies = {
        "authority": counts(
            without("authority"), "inspection__authority__slug", "inspection__authority__short_name"
        ),
        "region": counts(without("region"), "inspection__authority__region"),
        "inspection_kind": counts(without("inspection_kind"), "inspection__kind"),
        "theme": counts(
            FindingTheme.objects.filter(finding__in=without("theme").values("pk")),
            "theme__slug",
            "theme__name",
        ),
        "kind": counts(without("kind"), "kind"),
        "grade": counts(without("grade").annotate(effective_grade=grade_of), "effective_grade"),
    }
    selected_names = {
        "authority": {a.slug: a.short_name for a in cleaned.get("authority") or []},
        "theme": {t.slug: t.name for t in cleaned.get("theme") or []},
    }
    fixed_labels = {
        "region": dict(Region.choices),
        "inspection_kind": dict(InspectionKind.choices),
        "kind": dict(FindingKind.choices),
        "grade": dict(Grade.choices),
    }
    facets = []
    for name in ("authority", "region", "inspection_kind", "theme", "kind", "grade"):
        filter_ = filterset.filters[name]
        selected = {str(value) for value in filterset.data.getlist(name)} if filterset.is_bound else set()
        if name in fixed_labels:
            labels = fixed_labels[name]
        else:
            labels = {value: label for value, (label, _) in tallies[name].items()} | selected_names[name]
        options = [
            FacetOption(value, label, tallies[name].get(value, ("", 0))[1], value in selected)
            for value, label in labels.items()
            if value in tallies[name] or value in selected
        ]
        if name not in fixed_labels:
            options.sort(key=lambda option: option.label.lower())
        facets.append(Facet(name, filter_.label, options))
    return facets


def latest_grades_subquery(area: str = JudgementArea.OVERALL_EFFECTIVENESS.value) -> Subquery:
    """An authority's most recent grade for one area (for annotating authorities)."""
    return Subquery(
        Judgement.objects.filter(inspection__authority=OuterRef("pk"), area=area)
        .order_by("-inspection__date", "-inspection_id")
        .values("grade")[:1]
    )


def judgements_in_report_order() -> QuerySet:
    """Judgements in the contract's order of areas (overall effectiveness first), not alphabetical."""
    position = Case(
        *(When(area=area, then=Value(index)) for index, area in enumerate(JudgementArea.values)),
        output_field=IntegerField(),
    )
    return Judgement.objects.order_by(position)


def inspections_with_judgements(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("authority").prefetch_related(
        Prefetch("judgements", queryset=judgements_in_report_order())
    )


def authority_timeline(authority: Authority) -> QuerySet:
    """Every inspection of an authority and of the councils it replaced, newest first."""
    predecessors = list(authority.replaces.values_list("pk", flat=True))
    return inspections_with_judgements(
        Inspection.objects.filter(authority__in=[authority.pk, *predecessors]).order_by("-date", "-pk")
    )
