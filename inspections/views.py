"""Thin views: each reads through a FilterSet or a selector and renders, exports or serialises."""

import datetime
import functools

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import FileResponse, Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import date as date_filter
from django.templatetags.static import static
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from . import charts
from .authority_names import authorities_named
from .choices import FINDING_KIND_HINTS, FindingKind, FindingKindFilter, InspectionKind, JudgementArea, Region
from .compare import compare_url, recurring_themes
from .filters import (
    DATE_FILTERS,
    DATE_PARTS,
    AuthorityListFilterSet,
    FindingFilterSet,
    date_boxes,
    dates_in_boxes,
)
from .grades import latest_grade_annotations
from .models import Authority, Finding, Inspection, Theme
from .presenters import inspection_findings, search_results
from .schemas import FindingSerialiser
from .search import IMPROVEMENT, SAMPLE_EVERY, SORTS, asks_for_nothing, searches_no_words
from .selectors import (
    archive_figures,
    authority_theme_counts,
    authority_timeline,
    inspections_with_judgements,
    suggest_spelling,
    theme_figures,
    themes_with_counts,
)
from .templatetags.archive import quoted

PAGE_SIZE = 20


def home(request):
    latest = inspections_with_judgements(Inspection.objects.order_by("-date", "-pk"))[:8]
    figures = archive_figures()
    themes = sorted(themes_with_counts(figures), key=lambda theme: -theme.finding_count)  # by name in a tie
    return render(request, "home.html", {"figures": figures, "latest": latest, "themes": themes})


# Findings search -------------------------------------------------------------------------------


def _selected_tags(request, filterset: FindingFilterSet, facets) -> list[dict]:
    """Each chosen filter value as a tag with a link that removes just that value."""
    labels = {(facet.name, option.value): option.label for facet in facets for option in facet.options}
    tags = []
    for name, values in request.GET.lists():
        if name in ("page", "sort") or name not in filterset.filters:
            continue
        for value in values:
            if not value.strip() or name in filterset.errors:
                continue
            remaining = [
                (key, item)
                for key, items in request.GET.lists()
                for item in items
                if (key, item) != (name, value)
            ]
            remaining = [(key, item) for key, item in remaining if key != "page"]
            label = labels.get((name, value), value)
            if name in DATE_FILTERS:  # as the filter reads it: date_from=2018 is 1 January 2018
                label = date_filter(filterset.form.cleaned_data.get(name), "j F Y") or value
            tags.append(
                {
                    "name": name,
                    "filter": filterset.filters[name].label,
                    "label": quoted(value) if name == "q" else label,
                    "remove_url": f"{request.path}?{urlencode(remaining)}",
                }
            )
    return tags


def _ignored_messages(filterset) -> list[str]:
    messages = []
    for name, errors in filterset.errors.items():
        label = filterset.filters[name].label if name in filterset.filters else name
        messages.append(f"{label}: {' '.join(errors)} This filter was ignored.")
    return messages


def _with_query(request, query_text: str) -> str:
    """The same search, asking for other words: its first page."""
    query = request.GET.copy()
    query.pop("page", None)
    query["q"] = query_text
    return f"{request.path}?{query.urlencode()}"


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _date_choices(request, filterset: FindingFilterSet) -> list[dict]:
    """Quick choices of inspection dates: each a link to this search over those dates alone."""
    today = timezone.localdate()
    choices = [
        ("Last 12 months", _years_before(today, 1), None),
        ("Last 3 years", _years_before(today, 3), None),
        ("Since ILACS began (January 2018)", datetime.date(2018, 1, 1), None),
        ("Before ILACS (to 2017)", None, datetime.date(2017, 12, 31)),
    ]
    cleaned = filterset.form.cleaned_data if filterset.is_bound and filterset.is_valid() else {}
    chosen = (cleaned.get("date_from"), cleaned.get("date_to"))
    query = request.GET.copy()
    for key in ["page", *DATE_FILTERS, *(f"{name}_{part}" for name in DATE_FILTERS for part in DATE_PARTS)]:
        query.pop(key, None)
    links = []
    for label, start, end in choices:
        dated = query.copy()
        dated.update(
            {name: day.isoformat() for name, day in zip(DATE_FILTERS, (start, end), strict=True) if day}
        )
        links.append(
            {"label": label, "url": f"{request.path}?{dated.urlencode()}", "current": chosen == (start, end)}
        )
    return links


def finding_search(request):
    # Dates typed in the day, month and year boxes are shared as the links write them: date_from=…
    canonical = dates_in_boxes(request.GET)
    if canonical != request.GET:
        return HttpResponseRedirect(f"{request.path}?{canonical.urlencode()}")
    filterset = FindingFilterSet(request.GET or None)
    query_text = filterset.search_text if filterset.is_bound else ""
    search = Finding.objects.search_page(
        filterset, request.GET.get("sort"), request.GET.get("page"), per_page=PAGE_SIZE, orphans=3
    )
    page, facets = search.page, search.facets
    findings = search_results(page.object_list, query_text, search.labels)  # snippets, theme tags
    tags = _selected_tags(request, filterset, facets)
    query_without_page = request.GET.copy()
    query_without_page.pop("page", None)
    no_words = bool(query_text) and searches_no_words(query_text)
    suggestion = None
    if query_text and not no_words and not search.count:
        suggestion = suggest_spelling(query_text)
    context = {
        "filterset": filterset,
        "query_text": query_text,
        "no_words": no_words,
        "suggestion": suggestion,
        "suggestion_url": _with_query(request, suggestion) if suggestion else "",
        "dates_swapped": filterset.is_bound and filterset.form.dates_swapped,  # cleaned by the search
        "page": page,
        "findings": findings,
        "facets": facets,
        "search": search,
        "sample_every": SAMPLE_EVERY,
        "sort": search.sort,
        "sorts": {key: label for key, label in SORTS.items() if key != "relevance" or query_text},
        "tags": tags,
        "filters_chosen": sum(tag["name"] != "q" for tag in tags),
        "date_boxes": date_boxes(filterset),
        "date_choices": _date_choices(request, filterset),
        "kind_hints": [(label, FINDING_KIND_HINTS[value]) for value, label in FindingKindFilter.choices],
        "ignored": _ignored_messages(filterset) if filterset.is_bound else [],
        "query_string": query_without_page.urlencode(),
        "export_query": urlencode(
            [(k, v) for k, vs in request.GET.lists() for v in vs if k not in ("page", "sort")]
        ),
    }
    return render(request, "findings/search.html", context)


# Rows fetched from the database, and written to the response, at a time.
CSV_CHUNK_ROWS = 500


def _csv_field(value) -> str:
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def csv_line(values) -> str:
    """One CSV row as csv.writer writes it (minimal quoting, CRLF), built with string methods: the
    csv module copies each field a character at a time, four times slower over findings' paragraphs."""
    return ",".join(map(_csv_field, values)) + "\r\n"


# A file name's description of the filters, in characters: enough for a few words and slugs.
CSV_NAME_MAX_LENGTH = 60


def csv_filename(request, filterset: FindingFilterSet) -> str:
    """The export's file name says what was chosen, then the day it was taken:
    findings-supervision-leeds-2026-12-04.csv (findings-2026-12-04.csv with no filters). Filters given
    a bad value are left out, as they are from the rows."""
    parts = []
    if filterset.is_bound:
        filterset.is_valid()
        for name, value in filterset.form.cleaned_data.items():
            if asks_for_nothing(value):
                continue
            if isinstance(value, datetime.date):
                parts.append(f"{'from' if name == 'date_from' else 'to'} {value.isoformat()}")
            elif isinstance(value, str):
                parts.append(value)
            else:  # the chosen slugs or values, as given (a valid choice holds no unknown one)
                parts += [item for item in request.GET.getlist(name) if item.strip()]
    described = slugify(" ".join(parts).replace("_", " "))
    if len(described) > CSV_NAME_MAX_LENGTH:
        cut = described[: CSV_NAME_MAX_LENGTH + 1]  # cut at the last whole word that fits
        described = cut.rsplit("-", 1)[0] if "-" in cut else cut[:CSV_NAME_MAX_LENGTH]
    return "-".join(filter(None, ["findings", described, timezone.localdate().isoformat()])) + ".csv"


def findings_csv(request):
    """The whole current result set as CSV, streamed in a fixed column order. It opens with a
    byte-order mark: without one Excel on Windows reads UTF-8 as its own code page (– and £ garbled)."""
    filterset = FindingFilterSet(request.GET or None)
    serialise = FindingSerialiser(request)
    findings = Finding.objects.search(filterset, "oldest").values_list(*serialise.columns)
    regions, kinds = dict(Region.choices), dict(InspectionKind.choices)
    finding_kinds, areas = dict(FindingKind.choices), dict(JudgementArea.choices)
    authorities = {
        authority.slug: (authority.gss_code, regions[authority.region])
        for authority in Authority.objects.all()
    }
    theme_names = dict(Theme.objects.values_list("slug", "name"))

    @functools.lru_cache(maxsize=4096)
    def names_of(theme_slugs: tuple[str, ...]) -> str:
        return "; ".join(theme_names[slug] for slug in theme_slugs)

    columns = [
        "finding_id", "authority", "authority_slug", "gss_code", "region", "inspection_type",
        "inspection_type_slug", "inspection_date", "inspection_title", "finding_type", "finding_type_slug",
        "section", "judgement_area", "judgement_area_slug", "order", "page", "paragraph", "themes",
        "theme_slugs", "text", "url",
    ]  # fmt: skip

    def row(finding: dict) -> list:
        """A finding's public fields, as the API gives them (schemas.Finding), with the labels of its
        slugs and its authority's codes beside them."""
        inspection, authority, themes = finding["inspection"], finding["authority"], tuple(finding["themes"])
        kind, area, date = finding["kind"], finding["area"], inspection["date"]
        return [
            finding["id"],
            authority["name"],
            authority["slug"],
            *authorities[authority["slug"]],
            kinds[inspection["kind"]],
            inspection["kind"],
            date.isoformat() if date else "",
            inspection["title"],
            finding_kinds[kind],
            kind,
            finding["section"],
            areas.get(area, ""),
            area or "",
            finding["order"],
            finding["page"] or "",
            finding["number"] or "",
            names_of(themes),
            "; ".join(themes),
            finding["text"],
            finding["url"],
        ]

    def rows():
        yield "\ufeff" + csv_line(columns)
        # In a transaction the server-side cursor streams; in autocommit Django declares it WITH
        # HOLD, and PostgreSQL would build the whole result before sending the first row.
        with transaction.atomic():
            chunk = []
            for finding in findings.iterator(chunk_size=CSV_CHUNK_ROWS):
                chunk.append(csv_line(row(serialise(finding))))
                if len(chunk) == CSV_CHUNK_ROWS:
                    yield "".join(chunk)
                    chunk.clear()
        yield "".join(chunk)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(request, filterset)}"'
    return response


# Authorities ---------------------------------------------------------------------------------------

AUTHORITY_SORTS = {"name": "Name", "latest": "Latest inspection"}


def _latest_inspections():
    """Each authority's inspections, the latest first (for a subquery of its latest)."""
    return Inspection.objects.filter(authority=OuterRef("pk")).order_by("-date", "-pk")


def _authorities_with_latest():
    latest = _latest_inspections()
    return Authority.objects.annotate(
        # the latest graded inspection's own grade, date and id (grades.py): the latest inspection
        # (a focused visit) may grade nothing, and a 2026 ILACS gives no overall grade
        **latest_grade_annotations(),
        latest_inspection_date=Subquery(latest.values("date")[:1]),
        latest_inspection_kind=Subquery(latest.values("kind")[:1]),
        latest_inspection_id=Subquery(latest.values("pk")[:1]),
        inspection_count=Count("inspections"),
    )


def authority_list(request):
    filterset = AuthorityListFilterSet(request.GET or None, queryset=_authorities_with_latest().current())
    sort = request.GET.get("sort") if request.GET.get("sort") in AUTHORITY_SORTS else "name"
    ordering = (
        ["short_name"]
        if sort == "name"
        else [F("latest_inspection_date").desc(nulls_last=True), "short_name"]
    )
    authorities = filterset.qs.order_by(*ordering)
    return render(
        request,
        "authorities/list.html",
        {
            "filterset": filterset,
            "authorities": authorities,
            "sort": sort,
            "sorts": AUTHORITY_SORTS,
            "ignored": _ignored_messages(filterset) if filterset.is_bound else [],
        },
    )


def authority_detail(request, slug):
    authority = get_object_or_404(
        Authority.objects.annotate(**latest_grade_annotations()).prefetch_related("replaced_by", "replaces"),
        slug=slug,
    )
    timeline = list(authority_timeline(authority))
    # what the neighbours' table shows: each one's latest inspection's date and latest grade
    neighbours = (
        list(
            Authority.objects.annotate(
                **latest_grade_annotations(),
                latest_inspection_date=Subquery(_latest_inspections().values("date")[:1]),
            )
            .filter(neighbour_of=authority)
            .order_by("short_name")
        )
        if authority.is_current
        else []
    )
    theme_counts = authority_theme_counts(authority)
    lineage = [authority, *authority.replaces.all()]  # its recurring themes count the councils it replaced
    context = {
        "authority": authority,
        "timeline": timeline,
        "chart": charts.grade_chart(timeline[::-1]),
        "neighbours": neighbours,
        "theme_counts": theme_counts,
        "recurring": recurring_themes([council.pk for council in lineage]),
        # the search for a recurring theme's improvement points, in the same councils
        "recurring_search": urlencode(
            [("authority", council.slug) for council in lineage] + [("kind", IMPROVEMENT)]
        ),
        "compare_neighbours_url": compare_url([authority, *neighbours]),
    }
    return render(request, "authorities/detail.html", context)


# Inspections ---------------------------------------------------------------------------------------


def inspection_detail(request, pk):
    inspection = get_object_or_404(inspections_with_judgements(Inspection.objects.all()), pk=pk)
    findings = inspection_findings(inspection)
    sections = []
    for finding in findings:
        if not sections or sections[-1]["heading"] != finding.section:
            sections.append({"heading": finding.section, "findings": []})
        sections[-1]["findings"].append(finding)
    siblings = (
        Inspection.objects.filter(authority=inspection.authority_id).exclude(pk=inspection.pk).defer("text")
    )
    previous = siblings.filter(Q(date__lt=inspection.date) | Q(date=inspection.date, pk__lt=inspection.pk))
    following = siblings.filter(Q(date__gt=inspection.date) | Q(date=inspection.date, pk__gt=inspection.pk))
    # A title that does not name the inspection's authority (one staff corrected, or a title naming
    # no council) is shown as printed, under the name of the authority the archive files it with.
    names_authority = bool(authorities_named(inspection.title, [inspection.authority]))
    others = Authority.objects.exclude(pk=inspection.authority_id).only(
        "name", "short_name", "alternative_names"
    )
    context = {
        "inspection": inspection,
        "title_names_authority": names_authority,
        "title_names_others": [] if names_authority else authorities_named(inspection.title, others),
        "sections": sections,
        "finding_count": len(findings),
        "previous": previous.order_by("-date", "-pk").first(),
        "next": following.order_by("date", "pk").first(),
        "page_url": request.build_absolute_uri(inspection.get_absolute_url()),  # printed by each permalink
        "report_inline": _is_pdf(inspection),
    }
    return render(request, "inspections/detail.html", context)


def _is_pdf(inspection: Inspection) -> bool:
    return bool(
        inspection.source_file
        and inspection.source_filename.lower().endswith(".pdf")
        and inspection.page_count
    )


def _open_source(inspection: Inspection):
    if not inspection.source_file:
        raise Http404("This inspection has no stored source file.")
    try:
        return inspection.source_file.open("rb")
    except FileNotFoundError:
        raise Http404("The source file is missing from storage.") from None


def inspection_source(request, pk):
    """The original report file, always as a download: never rendered inline by the browser."""
    inspection = get_object_or_404(Inspection, pk=pk)
    return FileResponse(
        _open_source(inspection),
        as_attachment=True,
        filename=inspection.source_filename,
        content_type="application/pdf" if _is_pdf(inspection) else "text/plain; charset=utf-8",
    )


# A PDF opened in the browser's own viewer as a sandboxed document: a unique origin, so nothing in
# the file can act as this site; it loads nothing else, and no other page can frame it.
REPORT_CSP = {
    "sandbox": True,
    "default-src": [CSP.NONE],
    "object-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.NONE],
    "base-uri": [CSP.NONE],
}


@require_safe
@csp_override(REPORT_CSP)
def inspection_report(request, pk):
    """The original PDF opened in the browser (#page=N opens it at a page); only a PDF: a text
    source has no page to open at and stays a download (inspection_source)."""
    inspection = get_object_or_404(Inspection, pk=pk)
    if not _is_pdf(inspection):
        raise Http404("This inspection has no stored PDF.")
    return FileResponse(
        _open_source(inspection),
        as_attachment=False,
        filename=inspection.source_filename,
        content_type="application/pdf",
    )


# Themes --------------------------------------------------------------------------------------------


def theme_list(request):
    return render(request, "themes/list.html", {"themes": themes_with_counts()})


def theme_detail(request, slug):
    theme = get_object_or_404(Theme, slug=slug)
    figures = theme_figures(theme)
    authorities = Authority.objects.in_bulk([pk for pk, _ in figures.top_authorities])
    top_authorities = []
    for pk, count in figures.top_authorities:
        if pk in authorities:
            authorities[pk].count = count
            top_authorities.append(authorities[pk])
    context = {
        "theme": theme,
        "chart": charts.stacked_bars(figures.by_year, dict(FindingKind.choices)),
        "table": sorted(figures.by_year.items()),
        "kinds": FindingKind.choices,
        "top_authorities": top_authorities,
        "total": figures.total,
    }
    return render(request, "themes/detail.html", context)


# The site's icon ---------------------------------------------------------------------------------


@require_safe
def favicon(request):
    """Browsers and feed readers ask for /favicon.ico whatever the page links: send them to the SVG.
    Not a permanent redirect: in production the icon's static name changes with its content."""
    return HttpResponseRedirect(static("favicon.svg"))
