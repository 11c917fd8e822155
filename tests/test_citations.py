"""Each finding's citation on its inspection's page, and the original PDF opened at a page."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from inspections.citations import finding_citation
from inspections.models import Authority

from .documents import text_pdf
from .factories import FindingFactory, InspectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leeds_2023():
    return InspectionFactory(
        authority=Authority.objects.get(slug="leeds"),
        start_date=datetime.date(2023, 3, 6),
        end_date=datetime.date(2023, 3, 17),
        source_filename="leeds-2023.pdf",
        page_count=1,
    )


def with_pdf(inspection):
    inspection.source_file.save("leeds-2023.pdf", ContentFile(text_pdf()))
    return inspection


def test_a_numbered_finding_is_cited_by_its_paragraph_and_page(client, leeds_2023):
    FindingFactory(inspection=leeds_2023, order=3, number=14, page=5, area=None, text="Plans drift.")
    html = client.get(leeds_2023.get_absolute_url()).content.decode()
    url = f"http://testserver/inspections/{leeds_2023.pk}/#finding-3"
    expected = (
        "Ofsted, Inspection of Leeds local authority children&#x27;s services, 6 March 2023, "
        f"paragraph 14 (page 5), {url}"
    )
    assert '<summary>Cite<span class="screen-only"> finding 3</span></summary>' in html
    assert f'<p class="citation">{expected}</p>' in html
    assert '<script src="/static/js/cite.js" defer></script>' in html


def test_an_unnumbered_finding_is_cited_by_its_page_or_its_address_alone(leeds_2023):
    url = "https://example.org/inspections/1/#finding-2"
    assert finding_citation(leeds_2023, number=None, page=7, url=url) == (
        f"Ofsted, Inspection of Leeds local authority children's services, 6 March 2023, page 7, {url}"
    )
    leeds_2023.title = ""
    assert finding_citation(leeds_2023, number=None, page=None, url=url) == (
        "Ofsted, Inspection of local authority children's services (ILACS), Leeds City Council, "
        f"6 March 2023, {url}"
    )


def test_a_stored_pdf_opens_in_the_browser_in_a_sandbox_at_the_findings_page(client, leeds_2023):
    with_pdf(leeds_2023)
    FindingFactory(inspection=leeds_2023, order=1, page=5, area=None, text="Plans drift.")
    report = reverse("inspection-report", args=[leeds_2023.pk])
    html = client.get(leeds_2023.get_absolute_url()).content.decode()
    assert f'<a class="report-page" href="{report}#page=5">open the report at page 5</a>' in html
    assert "Download the original report" in html

    response = client.get(report)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="leeds-2023.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = [directive.strip() for directive in response["Content-Security-Policy"].split(";")]
    assert "sandbox" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" not in csp
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert client.post(report).status_code == 405


def test_a_text_source_is_not_served_inline_and_stays_a_download(client, leeds_2023):
    leeds_2023.source_filename, leeds_2023.page_count = "leeds-2023.txt", None
    leeds_2023.save()
    leeds_2023.source_file.save("leeds-2023.txt", ContentFile(b"<script>alert(1)</script>"))
    FindingFactory(inspection=leeds_2023, order=1, page=None, area=None, text="Plans drift.")
    assert client.get(reverse("inspection-report", args=[leeds_2023.pk])).status_code == 404
    html = client.get(leeds_2023.get_absolute_url()).content.decode()
    assert "open the report" not in html
    download = client.get(reverse("inspection-source", args=[leeds_2023.pk]))
    assert download["Content-Disposition"].startswith("attachment;")


def test_an_inspection_without_a_file_has_no_report_to_open(client, leeds_2023):
    FindingFactory(inspection=leeds_2023, order=1, page=5, area=None, text="Plans drift.")
    assert client.get(reverse("inspection-report", args=[leeds_2023.pk])).status_code == 404
    assert client.get(reverse("inspection-report", args=[leeds_2023.pk + 1000])).status_code == 404
    assert "open the report" not in client.get(leeds_2023.get_absolute_url()).content.decode()


# Chrome's own PDF viewer (an extension page framed into the document) is what shows the file.
CHROME_PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_chromium_shows_the_sandboxed_pdf_in_its_viewer_at_the_page(browser, live_server, authorities):
    """A sandboxing CSP has blocked Chrome's PDF viewer in some versions ("This page has been blocked
    by Chrome"): the report must open in the viewer, not as a blocked page or a download."""
    inspection = with_pdf(
        InspectionFactory(
            authority=Authority.objects.get(slug="leeds"), source_filename="leeds-2023.pdf", page_count=1
        )
    )
    report = reverse("inspection-report", args=[inspection.pk])
    # Not the `page` fixture: the viewer's own chrome-extension:// files are not another host's.
    page = browser.new_context(base_url=live_server.url).new_page()
    # The viewer keeps the document's load event from firing: wait for the response, then the viewer.
    response = page.goto(f"{report}#page=1", wait_until="commit")
    assert response.headers["content-type"] == "application/pdf"
    policies = [
        h["value"] for h in response.headers_array() if h["name"].lower() == "content-security-policy"
    ]
    assert any(policy.startswith("sandbox") for policy in policies), policies
    for _ in range(50):
        if any(frame.url.startswith(CHROME_PDF_VIEWER) for frame in page.frames):
            break
        page.wait_for_timeout(100)
    assert any(frame.url.startswith(CHROME_PDF_VIEWER) for frame in page.frames), [f.url for f in page.frames]
    page.context.close()
