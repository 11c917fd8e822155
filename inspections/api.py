"""The JSON API, declared once with django-ninja: its operations, their query parameters (from the
FilterSets) and their items (schemas.py); the OpenAPI 3.1 document at /api/openapi.json is ninja's,
generated from these declarations.

A request's filters are read by the same FilterSet as the search page's and the CSV export's, and
its page by Django's Paginator as the page reads its own, so a query string means the same in all
three: a value that is not valid (an unknown slug, a bad date, a page that is not a number) is
ignored, never an error. The parameters' schemas say what each takes, for the document, and let any
value through (`lenient`).

Listing findings, the busiest operation, is served by a plain view of the request alone (`SERVED`),
not through ninja: its parameters are declared for the document and read by the FilterSet, so
ninja's reading of them (every value valid, since an invalid one is ignored) was work for nothing.

Read-only: GET and HEAD; any other method is 405.
"""

import datetime
import functools
from typing import Annotated, Literal, get_origin

import django_filters
from django.core.paginator import Paginator
from django.db import models
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Query, Schema
from ninja.renderers import JSONRenderer
from pydantic import Field, ValidationError, WrapValidator, create_model

from .choices import (
    AuthorityType,
    FindingKind,
    FindingKindFilter,
    Grade,
    InspectionKind,
    JudgementArea,
    Region,
)
from .filters import AuthorityFilterSet, FindingFilterSet, InspectionFilterSet
from .grades import latest_grade_annotations
from .models import Authority as AuthorityRow
from .models import Finding as FindingRow
from .page_cache import cached_page
from .schemas import SLUG_PATTERN, Authority, Closed, Finding, FindingSerialiser, Inspection, Url
from .search import SORTS
from .selectors import inspections_with_judgements

API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 500

# The vocabularies a filter may take its choices from: the document names them, as the items do.
VOCABULARIES: tuple[type[models.TextChoices], ...] = (
    InspectionKind,
    JudgementArea,
    Grade,
    FindingKind,
    FindingKindFilter,
    Region,
    AuthorityType,
)
# An example of each parameter: shown to readers, and sent by the tests to prove that each is used
# (a filter without one fails to build its schema).
FINDING_EXAMPLES = {
    "q": '"reflective supervision"',
    "authority": ["leeds"],
    "region": [Region.YORKSHIRE_AND_THE_HUMBER.value],
    "inspection_kind": [InspectionKind.ILACS.value],
    "date_from": "2018-01-01",
    "date_to": "2017-12-31",
    "theme": ["supervision"],
    "kind": [FindingKind.AREA_FOR_IMPROVEMENT.value],
    "grade": [Grade.OUTSTANDING.value],
    "sort": "oldest",
}
AUTHORITY_EXAMPLES = {
    "region": [Region.YORKSHIRE_AND_THE_HUMBER.value],
    "type": [AuthorityType.METROPOLITAN_DISTRICT.value],
    "overall_grade": [Grade.OUTSTANDING.value],
}
INSPECTION_EXAMPLES = {
    "authority": ["leeds"],
    "kind": [InspectionKind.ILACS.value],
    "date_from": "2018-01-01",
    "date_to": "2017-12-31",
}
IGNORED = "A value that is not valid (an unknown slug, a bad date) is ignored, as on the search page."


class JSON(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class ArchiveAPI(NinjaAPI):
    def get_content_type(self) -> str:
        return self.renderer.media_type  # JSON is UTF-8 by definition: no charset, as ever

    def get_openapi_schema(self, **kwargs):
        """Ninja's document, but a parameter whose values are a vocabulary names it, as the items do,
        where ninja repeats its values: a client generates one type for each vocabulary."""
        document = super().get_openapi_schema(**kwargs)
        vocabularies = document["components"]["schemas"]
        for operation in (operation for item in document["paths"].values() for operation in item.values()):
            for parameter in operation["parameters"]:
                items = parameter["schema"].get("items", {})
                named = vocabularies.get(items.get("title"), {})
                if "enum" in items and named.get("enum") == items["enum"]:
                    parameter["schema"]["items"] = {"$ref": f"#/components/schemas/{items['title']}"}
        return document


api = ArchiveAPI(
    title="Ofsted children's services findings archive",
    version="1",
    description="Read-only JSON over the archive's authorities, inspections and findings. Filters are "
    "the search page's: repeat a parameter for several values (any matches); different parameters "
    "must all match.",
    renderer=JSON(),
    openapi_url=None,  # served below, under the name the pages link to
    docs_url=None,
)


@api.exception_handler(Exception)
def _django_answers(request, error):
    """Django answers errors as on every page (a database outage is the middleware's 503), not ninja."""
    raise error


# Query parameters --------------------------------------------------------------------------------


def _ignored_if_invalid(value, validate):
    try:
        return validate(value)
    except ValidationError:
        return None


def lenient(annotation):
    """A parameter's type, as the document states it, whose invalid value is ignored (None)."""
    return Annotated[annotation, WrapValidator(_ignored_if_invalid)]


def _filter_type(filter_: django_filters.Filter):
    if isinstance(filter_, django_filters.ModelMultipleChoiceFilter):
        return list[Annotated[str, Field(pattern=SLUG_PATTERN)]]
    if isinstance(filter_, django_filters.MultipleChoiceFilter):
        values = [value for value, _ in filter_.extra["choices"]]
        vocabulary = next((vocab for vocab in VOCABULARIES if vocab.values == values), None)
        return list[vocabulary or Literal[*values]]
    if isinstance(filter_, django_filters.DateFilter):
        return datetime.date
    if isinstance(filter_, django_filters.CharFilter):
        return Annotated[str, Field(max_length=filter_.extra["max_length"])]
    raise TypeError(f"describe {type(filter_).__name__} ({filter_.field_name}) in inspections/api.py")


def _filter_description(filter_: django_filters.Filter, is_list: bool) -> str:
    sentences = [filter_.label]
    if isinstance(filter_, django_filters.ModelMultipleChoiceFilter):
        sentences[0] += ", by its slug (as in its page's address)"
    if help_text := filter_.extra.get("help_text"):
        sentences.append(help_text.rstrip("."))
    if is_list:
        sentences.append("Repeat the parameter for several values: any of them matches")
    return ". ".join(sentences) + f". {IGNORED}"


def filter_parameters(
    filterset_class: type[django_filters.FilterSet], examples: dict, **more
) -> type[Schema]:
    """The query parameters of a FilterSet's filters, in its order, then any `more` (pydantic fields)."""
    fields = {}
    for name, filter_ in filterset_class.base_filters.items():
        annotation = _filter_type(filter_)
        is_list = get_origin(annotation) is list
        fields[name] = (
            lenient(annotation),
            Field(
                **({"default_factory": list} if is_list else {"default": None}),
                description=_filter_description(filter_, is_list),
                json_schema_extra={"example": examples[name]},
            ),
        )
    name = filterset_class.__name__.removesuffix("FilterSet") + "Query"
    return create_model(name, __base__=Schema, **fields, **more)


FindingQuery = filter_parameters(
    FindingFilterSet,
    FINDING_EXAMPLES,
    sort=(
        lenient(Literal[*SORTS]),
        Field(
            default=None,
            description="Order of results: "
            + "; ".join(f"{key} ({label.lower()})" for key, label in SORTS.items())
            + ". By default the most relevant come first when there is a search (q), unless its "
            "count is estimated (count_estimated), when the newest do, as on the search page; the "
            "newest otherwise. Relevance without a search means newest first.",
            json_schema_extra={"example": FINDING_EXAMPLES["sort"]},
        ),
    ),
)
AuthorityQuery = filter_parameters(AuthorityFilterSet, AUTHORITY_EXAMPLES)
InspectionQuery = filter_parameters(InspectionFilterSet, INSPECTION_EXAMPLES)


class Paging(Schema):
    page: lenient(Annotated[int, Field(ge=1)]) = Field(
        default=None,
        description="Which page of results, from 1. A number past the last page, or below 1, gives the "
        "last page; anything that is not a whole number gives the first.",
        json_schema_extra={"example": 2},
    )
    page_size: lenient(Annotated[int, Field(ge=1, le=API_MAX_PAGE_SIZE)]) = Field(
        default=API_PAGE_SIZE,
        description=f"Results per page, {API_PAGE_SIZE} unless given; values outside "
        f"1-{API_MAX_PAGE_SIZE} are brought within it, and one that is not a number is ignored.",
        json_schema_extra={"example": 1},
    )


# Pages of results --------------------------------------------------------------------------------


class Page(Closed):
    count: int = Field(ge=0, description="Results in all pages.")
    page: int = Field(ge=1)
    pages: int = Field(ge=1)
    next: Url | None
    previous: Url | None


class FindingPage(Page):
    """One page of finding results."""

    results: list[Finding]
    count_estimated: bool = Field(
        description="True when count (and so pages) is an estimate, to two significant figures, "
        'from a sample of the archive, as the search page\'s "About ...": counting every match of '
        "a broad search exactly would take longer than the rest of the request. The results are "
        "exact; a page that reaches the last match makes the count exact."
    )


class AuthorityPage(Page):
    """One page of authority results."""

    results: list[Authority]


class InspectionPage(Page):
    """One page of inspection results."""

    results: list[Inspection]


def _page_size(request) -> int:
    """page_size as asked for, brought within 1-API_MAX_PAGE_SIZE; API_PAGE_SIZE if not a number."""
    try:
        return min(max(int(request.GET.get("page_size", API_PAGE_SIZE)), 1), API_MAX_PAGE_SIZE)
    except ValueError:
        return API_PAGE_SIZE


def _envelope(request, page, results: list) -> dict:
    """A page of results in the API's envelope, with links to the pages beside it."""

    def link(number):
        query = request.GET.copy()
        query["page"] = number
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "results": results,
    }


def _page(request, items) -> dict:
    """A page of the items (a queryset) in the API's envelope, page and page_size read as the
    search page reads its page (Paginator.get_page)."""
    page = Paginator(items, _page_size(request)).get_page(request.GET.get("page"))
    return _envelope(request, page, list(page.object_list))


# The operations ----------------------------------------------------------------------------------

UNAVAILABLE = {503: None}  # the database is unavailable for a moment: try again after Retry-After


def list_findings(request) -> JsonResponse:
    """The search page's search without its facets (Finding.objects.search_list): counted exactly
    where that is cheap, estimated from the sample where it is not (count_estimated), as the page
    counts. Its items are made by the one serialiser and sent as they are, not validated again
    against the declaration (the tests check every generated request against the document)."""
    size = _page_size(request)
    filterset = FindingFilterSet(request.GET or None)
    sort = request.GET.get("sort")  # one not in SORTS leaves the default, as on the search page
    listed = FindingRow.objects.search_list(
        filterset, sort, request.GET.get("page"), per_page=size, rows=FindingSerialiser.page_rows()
    )
    serialise = FindingSerialiser(request, listed.labels)
    results = [serialise(row) for row in listed.page.object_list]
    body = {**_envelope(request, listed.page, results), "count_estimated": listed.approximate}
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


# The operations, as the document declares them (their parameters and answers). Listing findings is
# served by its plain view (see the module's docstring); the others make model instances that ninja
# turns into their items (schemas.py), and are served through ninja.
SERVED = {"api-findings": list_findings}


@api.get(
    "/findings",
    response={200: FindingPage, **UNAVAILABLE},
    operation_id="listFindings",
    summary="Search and filter the findings",
    description=list_findings.__doc__,
    url_name="api-findings",
)
def findings(request, query: Query[FindingQuery], paging: Query[Paging]):
    return list_findings(request)


@api.get(
    "/authorities",
    response={200: AuthorityPage, **UNAVAILABLE},
    operation_id="listAuthorities",
    summary="Authorities, current and former, by name",
    url_name="api-authorities",
)
def authorities(request, query: Query[AuthorityQuery], paging: Query[Paging]):
    with_grades = AuthorityRow.objects.annotate(**latest_grade_annotations())  # as the pages show it
    filterset = AuthorityFilterSet(request.GET or None, queryset=with_grades)
    return _page(request, filterset.qs.order_by("short_name", "slug"))  # two North Yorkshires


@api.get(
    "/inspections",
    response={200: InspectionPage, **UNAVAILABLE},
    operation_id="listInspections",
    summary="Inspections, newest first",
    url_name="api-inspections",
)
def inspections(request, query: Query[InspectionQuery], paging: Query[Paging]):
    filterset = InspectionFilterSet(request.GET or None)
    return _page(request, inspections_with_judgements(filterset.qs.order_by("-date", "-pk")))


# Addresses ---------------------------------------------------------------------------------------


def read_only(view):
    """GET and HEAD alone (HEAD answered as GET, the server sending only the headers); any other
    method 405, naming both: ninja knows no HEAD, and names the methods it allows in no fixed order.
    Nothing here reads a session or changes anything, so CSRF does not apply: without the exemption
    another method would get CSRF's 403 rather than 405."""

    @csrf_exempt
    @require_safe
    @cached_page
    @functools.wraps(view)
    def read_only_view(request, *args, **kwargs):
        request.method = "GET"
        return view(request, *args, **kwargs)

    return read_only_view


@csrf_exempt
@require_safe
def openapi_document(request):
    """The document ninja generates; the operations sit beside it."""
    document = api.get_openapi_schema(path_prefix=request.path.removesuffix("openapi.json"))
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False})


urlpatterns = [
    path("openapi.json", openapi_document, name="api-openapi"),
    *(
        path(str(pattern.pattern), read_only(SERVED.get(pattern.name, pattern.callback)), name=pattern.name)
        for pattern in api.urls[0]
        if pattern.name != "api-root"  # ninja's pointer to its docs, which are off
    ),
]
