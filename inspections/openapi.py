"""The JSON API described as OpenAPI 3.1, built from the FilterSets and vocabularies it serves.

Every query parameter comes from the FilterSet behind its endpoint and every enum from
``choices.py``, so the document cannot drift from what the views accept; the response schemas
close each object (``additionalProperties: false``), so the API tests catch a changed serialiser.
"""

import django_filters
from django.db import models

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
from .selectors import SORTS

# The API's pages: the views follow these, and the document states them.
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 500

VOCABULARIES: list[type[models.TextChoices]] = [
    InspectionKind,
    JudgementArea,
    Grade,
    FindingKind,
    FindingKindFilter,
    Region,
    AuthorityType,
]
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
# An example for each parameter: shown to readers, and sent by the tests to prove that each is used
# (a new filter without one fails to build the document).
PAGE_EXAMPLES = {"page": 2, "page_size": 1}
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


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _vocabulary_of(choices) -> str | None:
    values = [value for value, _ in choices]
    return next((vocab.__name__ for vocab in VOCABULARIES if vocab.values == values), None)


def _filter_schema(filter_: django_filters.Filter) -> dict:
    if isinstance(filter_, django_filters.ModelMultipleChoiceFilter):
        return {"type": "array", "items": {"type": "string", "pattern": SLUG_PATTERN}}
    if isinstance(filter_, django_filters.MultipleChoiceFilter):
        choices = list(filter_.extra["choices"])
        vocabulary = _vocabulary_of(choices)
        items = _ref(vocabulary) if vocabulary else {"type": "string", "enum": [v for v, _ in choices]}
        return {"type": "array", "items": items}
    if isinstance(filter_, django_filters.DateFilter):
        return {"type": "string", "format": "date"}
    if isinstance(filter_, django_filters.CharFilter):
        return {"type": "string", "maxLength": filter_.extra["max_length"]}
    raise TypeError(f"describe {type(filter_).__name__} ({filter_.field_name}) in inspections/openapi.py")


def _parameter(name: str, schema: dict, description: str, example) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if schema.get("type") == "array":
        parameter |= {"style": "form", "explode": True}
    return parameter | {"example": example}


def filter_parameters(filterset_class: type[django_filters.FilterSet], examples: dict) -> list[dict]:
    """One query parameter for each filter the FilterSet declares."""
    parameters = []
    for name, filter_ in filterset_class.base_filters.items():
        schema = _filter_schema(filter_)
        sentences = [filter_.label]
        if isinstance(filter_, django_filters.ModelMultipleChoiceFilter):
            sentences[0] += ", by its slug (as in its page's address)"
        if help_text := filter_.extra.get("help_text"):
            sentences.append(help_text.rstrip("."))
        if schema.get("type") == "array":
            sentences.append("Repeat the parameter for several values: any of them matches")
        description = ". ".join(sentences) + f". {IGNORED}"
        parameters.append(_parameter(name, schema, description, examples[name]))
    return parameters


PAGE_PARAMETERS = [
    _parameter(
        "page",
        {"type": "integer", "minimum": 1},
        "Which page of results, from 1. A number past the last page, or below 1, gives the last "
        "page; anything that is not a whole number gives the first.",
        PAGE_EXAMPLES["page"],
    ),
    _parameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": API_MAX_PAGE_SIZE, "default": API_PAGE_SIZE},
        f"Results per page, {API_PAGE_SIZE} unless given; values outside 1-{API_MAX_PAGE_SIZE} are "
        "brought within it, and one that is not a number is ignored.",
        PAGE_EXAMPLES["page_size"],
    ),
]
SORT_PARAMETER = _parameter(
    "sort",
    {"type": "string", "enum": list(SORTS)},
    "Order of results: "
    + "; ".join(f"{key} ({label.lower()})" for key, label in SORTS.items())
    + ". By default the most relevant come first when there is a search (q), the newest otherwise; "
    "relevance without a search means newest first.",
    FINDING_EXAMPLES["sort"],
)


def _object(properties: dict, description: str = "") -> dict:
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    return schema | ({"description": description} if description else {})


DATE = {"type": "string", "format": "date"}
URL = {"type": "string", "format": "uri"}
ID = {"type": "integer", "minimum": 1}

ITEM_SCHEMAS = {
    "Finding": _object(
        {
            "id": ID,
            "url": URL | {"description": "The finding in its inspection's page."},
            "kind": _ref("FindingKind"),
            "section": {"type": "string", "description": "The heading it sat under in the report."},
            "area": _nullable(_ref("JudgementArea")),
            "order": {"type": "integer", "minimum": 1, "description": "Its position in the report."},
            "page": _nullable({"type": "integer", "minimum": 1}),
            "number": _nullable(
                {"type": "integer", "minimum": 1, "description": "Its paragraph number as printed, if any."}
            ),
            "text": {
                "type": "string",
                "minLength": 1,
                "description": "The finding's whole text, as plain text.",
            },
            "themes": {"type": "array", "items": {"type": "string", "pattern": SLUG_PATTERN}},
            "inspection": _object(
                {
                    "id": ID,
                    "kind": _ref("InspectionKind"),
                    "title": {"type": "string"},
                    "date": _nullable(DATE),
                }
            ),
            "authority": _object(
                {"slug": {"type": "string", "pattern": SLUG_PATTERN}, "name": {"type": "string"}}
            ),
        },
        "One finding: a strength, area for improvement, priority action, recommendation or narrative paragraph.",
    ),
    "Authority": _object(
        {
            "slug": {"type": "string", "pattern": SLUG_PATTERN},
            "name": {"type": "string"},
            "short_name": {"type": "string"},
            "gss_code": {"type": "string", "pattern": r"^E\d{8}$"},
            "former_gss_codes": {"type": "array", "items": {"type": "string"}},
            "ofsted_urn": _nullable({"type": "integer", "minimum": 0}),
            "dfe_code": _nullable({"type": "string", "pattern": r"^\d{3}$"}),
            "region": _ref("Region"),
            "type": _ref("AuthorityType"),
            "current": {"type": "boolean", "description": "False for a council since abolished or merged."},
            "latest_overall_grade": _nullable(_ref("Grade")),
        },
        "A council with children's services responsibilities.",
    ),
    "Inspection": _object(
        {
            "id": ID,
            "url": URL,
            "authority": {"type": "string", "pattern": SLUG_PATTERN},
            "kind": _ref("InspectionKind"),
            "title": {"type": "string"},
            "start_date": _nullable(DATE),
            "end_date": _nullable(DATE),
            "published_date": _nullable(DATE),
            "letter_date": _nullable(DATE),
            "lead_inspector": _nullable({"type": "string"}),
            "judgements": {
                "type": "array",
                "items": _object({"area": _ref("JudgementArea"), "grade": _ref("Grade")}),
            },
        },
        "One inspection or visit report, with its graded judgements in the report's order.",
    ),
}


def _page_of(item: str) -> dict:
    link = _nullable(URL)
    return _object(
        {
            "count": {"type": "integer", "minimum": 0, "description": "Results in all pages."},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "next": link,
            "previous": link,
            "results": {"type": "array", "items": _ref(item)},
        },
        f"One page of {item.lower()} results.",
    )


def _operation(operation_id: str, summary: str, parameters: list[dict], item: str) -> dict:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": f"A page of {item.lower()} results.",
                    "content": {"application/json": {"schema": _ref(f"{item}Page")}},
                },
                "503": {
                    "description": "The database is unavailable for a moment: try again after Retry-After.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
            },
        }
    }


def api_document() -> dict:
    """The OpenAPI 3.1 document served at /api/openapi.json."""
    vocabularies = {
        vocab.__name__: {
            "type": "string",
            "enum": vocab.values,
            "description": "; ".join(f"{value}: {label}" for value, label in vocab.choices),
        }
        for vocab in VOCABULARIES
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Ofsted children's services findings archive",
            "version": "1",
            "description": "Read-only JSON over the archive's authorities, inspections and findings. "
            "Filters are the search page's: repeat a parameter for several values (any matches); "
            "different parameters must all match.",
        },
        "paths": {
            "/api/findings": _operation(
                "listFindings",
                "Search and filter the findings",
                [*filter_parameters(FindingFilterSet, FINDING_EXAMPLES), SORT_PARAMETER, *PAGE_PARAMETERS],
                "Finding",
            ),
            "/api/authorities": _operation(
                "listAuthorities",
                "Authorities, current and former, by name",
                [*filter_parameters(AuthorityFilterSet, AUTHORITY_EXAMPLES), *PAGE_PARAMETERS],
                "Authority",
            ),
            "/api/inspections": _operation(
                "listInspections",
                "Inspections, newest first",
                [*filter_parameters(InspectionFilterSet, INSPECTION_EXAMPLES), *PAGE_PARAMETERS],
                "Inspection",
            ),
        },
        "components": {
            "schemas": {
                **vocabularies,
                **ITEM_SCHEMAS,
                **{f"{item}Page": _page_of(item) for item in ITEM_SCHEMAS},
            }
        },
    }
