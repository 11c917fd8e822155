"""The JSON API's OpenAPI document: valid, true to the views, and checked by schemathesis against them."""

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import QueryDict
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from inspections.filters import AuthorityFilterSet, FindingFilterSet, InspectionFilterSet
from inspections.models import Finding as FindingRow
from inspections.perf.benchmark import clear_caches
from inspections.schemas import FindingSerialiser
from inspections.wsgi import application

from .sample_archive import sample_archive

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/findings": (FindingFilterSet, ["sort", "page", "page_size"]),
    "/api/authorities": (AuthorityFilterSet, ["page", "page_size"]),
    "/api/inspections": (InspectionFilterSet, ["page", "page_size"]),
}
# A page number only tells when pages are small.
BASELINE = {"page": {"page_size": 1}}


@pytest.fixture
def document(client):
    response = client.get(reverse("api-openapi"))
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == set(ENDPOINTS)


def test_every_filter_is_documented_with_its_vocabulary(document):
    for path, (filterset, extras) in ENDPOINTS.items():
        parameters = document["paths"][path]["get"]["parameters"]
        assert [p["name"] for p in parameters] == [*filterset.base_filters, *extras]
        for parameter in parameters:
            filter_ = filterset.base_filters.get(parameter["name"])
            if filter_ is not None and "choices" in filter_.extra and "queryset" not in filter_.extra:
                items = parameter["schema"]["items"]
                enum = document["components"]["schemas"][items["$ref"].rsplit("/", 1)[1]]["enum"]
                assert enum == [value for value, _ in filter_.extra["choices"]]


def api_results(client, path: str, **params) -> tuple[int, list]:
    body = json.loads(client.get(path, params).content)
    return body["count"], [result.get("id", result.get("slug")) for result in body["results"]]


def test_each_documented_parameter_changes_the_results(client, document):
    """Each parameter's documented example gives other results than leaving it out: the view uses it."""
    sample_archive()
    for path, operation in document["paths"].items():
        for parameter in operation["get"]["parameters"]:
            name, example = parameter["name"], parameter["example"]
            baseline = BASELINE.get(name, {})
            assert api_results(client, path, **baseline, **{name: example}) != api_results(
                client, path, **baseline
            ), f"{path}: {name}={example!r} made no difference"


@pytest.mark.parametrize("name", ["api-openapi", "api-findings", "api-authorities", "api-inspections"])
def test_the_api_is_read_only(name):
    """GET and HEAD only: any other method is 405, not CSRF's 403 nor a page of results."""
    client = Client(enforce_csrf_checks=True)
    assert client.head(reverse(name)).status_code == 200
    for method in (client.post, client.put, client.patch, client.delete, client.options, client.trace):
        response = method(reverse(name))
        assert (response.status_code, response["Allow"]) == (405, "GET, HEAD"), method.__name__


@pytest.fixture
def in_process_requests():
    """Serve the WSGI app's requests inside the test's transaction, as Django's test client does:
    without this, the end of each request would close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Invalid filter values are ignored, as on the search page (the document says so), so a request that
# schemathesis makes invalid on purpose is answered 200 like any other, not rejected.
CONFIG = schemathesis.Config.from_dict({"checks": {"negative_data_rejection": {"enabled": False}}})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)


@pytest.fixture
def api_archive(in_process_requests):
    return sample_archive()


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_every_generated_request_as_documented(case, api_archive):
    """No server error, and the status, content type and body each as the document says."""
    case.call_and_validate()


def test_the_apis_rows_by_id_are_the_orms(api_archive):
    serialise = FindingSerialiser(RequestFactory().get("/"))
    ids = list(FindingRow.objects.order_by("-pk").values_list("pk", flat=True)[:30])
    expected = FindingRow.objects.filter(pk__in=ids).values_list(*FindingSerialiser.columns)
    by_id = {row[0]: row for row in expected}
    assert ids and serialise.rows(ids) == [by_id[pk] for pk in ids]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "supervision"},
        {"q": "supervision", "page": "99"},
        {"kind": "strength"},
        {},
        {"q": "nothing-matches"},
    ],
    ids=["search", "past the end", "browsing", "everything", "no match"],
)
def test_a_pages_rows_read_with_its_count_are_its_rows_by_id(api_archive, params, settings):
    """search_list reads a page's rows in the statement that counts it where it counts exactly, and
    by id otherwise (an estimated count, or a page whose ids were cached): the same rows either way."""
    for exact_up_to in (6000, 0):  # counted exactly, then estimated from the sample
        settings.ARCHIVE_EXACT_COUNTS_UP_TO = exact_up_to
        clear_caches()
        listed = FindingRow.objects.search_list(
            FindingFilterSet(QueryDict(urlencode(params))),
            None,
            params.get("page"),
            per_page=5,
            rows=FindingSerialiser.page_rows(),
        )
        rows = list(listed.page.object_list)
        assert rows == FindingSerialiser.rows([row[0] for row in rows]), (params, exact_up_to)
        if exact_up_to and params.get("q") != "nothing-matches":  # past the end: the last page
            assert rows, params
