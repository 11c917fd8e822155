"""Whole pages cached under the archive's version (page_cache.py): served again unchanged until the
archive changes, never for a request that could see a page of its own, never a page that set a cookie."""

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections import page_cache
from inspections.models import Authority, Finding

from .factories import FindingFactory, InspectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def findings():
    inspection = InspectionFactory(authority=Authority.objects.get(slug="leeds"))
    return [
        FindingFactory(inspection=inspection, text=f"Reflective supervision helps social workers {n}.")
        for n in range(3)
    ]


def answered(client, path, params=None, **headers):
    """The response and how many queries answering it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {}, **headers)
    return response, len(queries)


@pytest.mark.parametrize(
    "name, params",
    [
        ("finding-search", {"q": "supervision"}),
        ("api-findings", {"q": "supervision", "page_size": "2"}),
        ("authority-list", {}),
        ("home", {}),
    ],
)
def test_a_page_is_answered_again_from_the_cache_until_the_archive_changes(client, findings, name, params):
    first, first_queries = answered(client, reverse(name), params)
    again, again_queries = answered(client, reverse(name), params)
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert first_queries > 1 and again_queries == 1  # the archive's version, nothing else

    FindingFactory(inspection=findings[0].inspection, text="Supervision is now weekly and recorded.")
    changed, changed_queries = answered(client, reverse(name), params)
    assert changed_queries > 1
    if name == "finding-search":
        assert "now weekly and recorded" in changed.content.decode()
    if name == "api-findings":
        assert (first.json()["count"], changed.json()["count"]) == (3, 4)


def test_a_page_is_kept_once_the_server_has_sent_it(findings):
    """Writing the page to the cache waits until the server has sent it (and closes the response), so
    the visitor is not kept waiting for the write."""
    environ = RequestFactory().get(reverse("api-findings"), {"q": "supervision"}).environ
    request_started.disconnect(close_old_connections)  # the test's connection, as the test client keeps it
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda status, headers: None)
        assert response.status_code == 200 and not caches["pages"]._list_cache_files()
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert len(caches["pages"]._list_cache_files()) == 1


def test_headers_the_middleware_adds_are_on_a_cached_answer_too(client, findings):
    first = client.get(reverse("finding-search"), {"q": "supervision"})
    again = client.get(reverse("finding-search"), {"q": "supervision"})
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert again[header] == first[header]


def test_the_api_keeps_each_hosts_absolute_links(client, findings):
    params = {"q": "supervision", "page_size": "1"}
    one = client.get(reverse("api-findings"), params, HTTP_HOST="localhost").json()
    other = client.get(reverse("api-findings"), params, HTTP_HOST="testserver").json()
    assert one["next"].startswith("http://localhost/") and other["next"].startswith("http://testserver/")


def test_a_signed_in_visitor_is_answered_afresh_and_nothing_is_kept(admin_client, client, findings):
    path = reverse("finding-search")
    assert settings.SESSION_COOKIE_NAME in admin_client.cookies
    _, signed_in = answered(admin_client, path, {"q": "supervision"})
    _, signed_in_again = answered(admin_client, path, {"q": "supervision"})
    assert signed_in > 1 and signed_in_again > 1
    _, anonymous = answered(client, path, {"q": "supervision"})
    assert anonymous > 1  # what the signed-in visitor saw was not kept for anyone


def test_a_page_that_is_not_found_is_not_kept(client):
    missing = reverse("authority-detail", args=["atlantis"])
    _, first = answered(client, missing)
    response, again = answered(client, missing)
    assert response.status_code == 404 and again == first


def test_an_edit_made_outside_django_is_seen_at_once(client, findings):
    client.get(reverse("finding-search"), {"q": "supervision"})
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inspections_finding SET text = 'Supervision rewritten in SQL.' WHERE id = %s",
            [findings[0].pk],
        )
    html = client.get(reverse("finding-search"), {"q": "supervision"}).content.decode()
    assert "rewritten in SQL" in html
    assert Finding.objects.filter(text__contains="rewritten").count() == 1


def test_a_csv_export_is_kept_as_it_is_sent_and_served_whole_after(client, findings):
    first = client.get(reverse("finding-csv"), {"authority": "leeds"})
    assert first.streaming
    sent = b"".join(first.streaming_content)
    again, queries = answered(client, reverse("finding-csv"), {"authority": "leeds"})
    assert queries == 1 and not again.streaming
    assert again.content == sent and again["Content-Disposition"] == first["Content-Disposition"]
    assert again["Content-Type"] == "text/csv; charset=utf-8"


def test_an_export_larger_than_the_limit_streams_and_nothing_is_kept(client, findings, monkeypatch):
    monkeypatch.setattr(page_cache, "LARGEST_KEPT", 100)
    first = client.get(reverse("finding-csv"), {"authority": "leeds"})
    assert len(b"".join(first.streaming_content)) > 100
    again = client.get(reverse("finding-csv"), {"authority": "leeds"})
    assert again.streaming


def test_an_export_stopped_half_way_is_not_kept(client, findings):
    first = client.get(reverse("finding-csv"), {"authority": "leeds"})
    chunks = iter(first.streaming_content)
    next(chunks)
    del chunks  # the client went away after the first chunk
    assert client.get(reverse("finding-csv"), {"authority": "leeds"}).streaming


def test_a_cache_that_cannot_be_written_or_read_never_breaks_a_page(client, findings, settings, tmp_path):
    """A read-only folder, say, in a deployment: pages are answered as if nothing were cached."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache's folder should be")
    pages = caches["pages"]
    monkeypatched = pages._dir
    pages._dir = str(blocked / "pages")
    try:
        for _ in range(2):
            response, queries = answered(client, reverse("finding-search"), {"q": "supervision"})
            assert response.status_code == 200 and queries > 1
        export = client.get(reverse("finding-csv"), {"authority": "leeds"})
        assert b"Reflective supervision" in b"".join(export.streaming_content)
    finally:
        pages._dir = monkeypatched


def test_the_folder_is_kept_near_its_limit_though_its_size_is_not_looked_at_every_write(tmp_path):
    """The cache lists its folder once every CULL_EVERY writes, not at each: it may pass MAX_ENTRIES
    by at most that many pages, and is brought back under it."""
    kept = page_cache.PageFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 100}})
    sizes = []
    for number in range(600):
        kept.set(f"page:{number}", ({}, b"a page"))
        sizes.append(len(list(tmp_path.iterdir())))
    assert max(sizes) <= 100 + page_cache.CULL_EVERY
    assert max(sizes) > 100  # it did not look at every write
    assert kept.get("page:599") == ({}, b"a page")
