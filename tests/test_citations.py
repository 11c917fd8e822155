"""Each finding's citation on its inspection's page."""

import datetime

import pytest

from inspections.citations import finding_citation
from inspections.models import Authority

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
