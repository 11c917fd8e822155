"""The Atom feed of a findings search: the page's filters, newest findings first, at most 50."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from inspections.feeds import FEED_ENTRIES
from inspections.models import Authority

from .factories import FindingFactory, InspectionFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def findings():
    leeds = Authority.objects.get(slug="leeds")
    rutland = Authority.objects.get(slug="rutland")
    leeds_2023 = InspectionFactory(authority=leeds, kind="ilacs", start_date=datetime.date(2023, 3, 6),
                                   end_date=datetime.date(2023, 3, 17))  # fmt: skip
    rutland_2011 = InspectionFactory(authority=rutland, kind="cra_unannounced",
                                     start_date=datetime.date(2011, 5, 10), end_date=datetime.date(2011, 5, 11))  # fmt: skip
    return {
        "leeds": FindingFactory(
            inspection=leeds_2023,
            order=1,
            area=None,
            kind="narrative",
            page=5,
            number=14,
            text="Social workers receive regular supervision.\x0c",
        ),
        "leeds_2": FindingFactory(
            inspection=leeds_2023,
            order=2,
            area=None,
            kind="area_for_improvement",
            text="Care leavers' pathway plans drift.",
        ),
        "rutland": FindingFactory(
            inspection=rutland_2011,
            order=1,
            area=None,
            kind="narrative",
            text="Supervision is regular and recorded.",
        ),
    }


def feed(client, query: str = "") -> ET.Element:
    response = client.get(reverse("finding-feed") + (f"?{query}" if query else ""))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None, required
    return root


def entry_ids(root: ET.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}id") for entry in root.findall(f"{ATOM}entry")]


def test_the_feed_is_atom_with_every_finding_newest_first(client, findings):
    root = feed(client)
    entries = root.findall(f"{ATOM}entry")
    assert [entry.find(f"{ATOM}link").get("href") for entry in entries] == [
        f"http://testserver{findings[name].get_absolute_url()}" for name in ("leeds", "leeds_2", "rutland")
    ]
    first = entries[0]
    assert (
        first.findtext(f"{ATOM}title")
        == "Leeds, Inspection of local authority children's services (ILACS), 6 March 2023: Narrative finding"
    )
    assert first.findtext(f"{ATOM}updated") == "2023-03-06T00:00:00+00:00"
    content = first.find(f"{ATOM}content")
    assert content.get("type") == "text"
    assert content.text == "Social workers receive regular supervision. "  # the form feed XML cannot carry
    assert len(set(entry_ids(root))) == 3


def test_the_feed_applies_the_search_and_its_filters(client, findings):
    assert entry_ids(feed(client, "q=supervision&authority=rutland")) == [
        f"http://testserver{findings['rutland'].get_absolute_url()}"
    ]
    assert len(entry_ids(feed(client, "kind=area_for_improvement"))) == 1
    assert "supervision" in feed(client, "q=supervision").findtext(f"{ATOM}title")


def test_an_invalid_filter_value_is_ignored_as_the_page_ignores_it(client, findings):
    page = client.get(reverse("finding-search"), {"date_from": "not-a-date", "q": "supervision"})
    assert page.status_code == 200
    assert len(entry_ids(feed(client, "date_from=not-a-date&q=supervision"))) == 2
    assert entry_ids(feed(client, "grade=nonsense&page=abc&sort=oldest")) == entry_ids(feed(client))


def test_the_feed_holds_at_most_fifty_entries(client, findings):
    inspection = findings["leeds"].inspection
    for order in range(3, FEED_ENTRIES + 5):
        FindingFactory(inspection=inspection, order=order, area=None, text=f"Finding {order}.")
    assert len(entry_ids(feed(client))) == FEED_ENTRIES


def test_the_search_page_links_its_feed(client, findings):
    html = client.get(
        reverse("finding-search"), {"q": "supervision", "page": "1", "sort": "oldest"}
    ).content.decode()
    href = f"{reverse('finding-feed')}?q=supervision"
    assert (
        f'<link rel="alternate" type="application/atom+xml" title="Atom feed of this search" href="{href}">'
        in html
    )
    assert f'<a href="{href}" type="application/atom+xml">Atom feed of this search</a>' in html
