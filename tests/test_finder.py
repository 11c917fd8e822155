"""The finder's pages without a browser (#19): dates in day, month and year boxes and the addresses
they are shared by, the quick date choices, the order of a long facet's options, the grade chart's
cells, and a report's title that names another authority than the one it is filed under."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse

from inspections import charts
from inspections.authority_names import authorities_named
from inspections.choices import Grade, InspectionKind, JudgementArea
from inspections.filters import PartialDateField, dates_in_boxes
from inspections.models import Authority, Inspection
from inspections.selectors import inspections_with_judgements

from .factories import FindingFactory, InspectionFactory, JudgementFactory

pytestmark = pytest.mark.django_db
SEARCH = reverse("finding-search")


@pytest.fixture
def dated():
    """A finding about supervision from each of 2016, 2019 and 2023, in Rutland."""
    rutland = Authority.objects.get(slug="rutland")
    return {
        year: FindingFactory(
            inspection=InspectionFactory(
                authority=rutland, start_date=datetime.date(year, 3, 6), end_date=None
            ),
            text=f"Supervision in {year} is regular.",
        )
        for year in (2016, 2019, 2023)
    }


# Dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "ending", "expected"),
    [
        (["", "", "2018"], False, datetime.date(2018, 1, 1)),
        (["", "", "2018"], True, datetime.date(2018, 12, 31)),
        (["", "2", "2024"], True, datetime.date(2024, 2, 29)),
        (["", "3", "2018"], False, datetime.date(2018, 3, 1)),
        (["", "March", "2018"], False, datetime.date(2018, 3, 1)),
        (["", "sep", "2019"], True, datetime.date(2019, 9, 30)),
        (["27", "3", "2018"], False, datetime.date(2018, 3, 27)),
        (["27", "03", "2018"], True, datetime.date(2018, 3, 27)),
    ],
)
def test_a_date_in_boxes_or_a_year_or_month_alone_is_read(parts, ending, expected):
    assert PartialDateField(ending=ending).clean(parts) == expected


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (["1", "1", ""], "Enter a year"),
        (["", "", "18"], "Enter the year as four digits"),
        (["", "", "٢٠١٨"], "Enter the year as four digits"),
        (["27", "", "2018"], "Enter a month as well as the day"),
        (["", "13", "2018"], "Enter the month as a number from 1 to 12"),
        (["", "0", "2018"], "Enter the month as a number from 1 to 12"),
        (["", "Smarch", "2018"], "Enter the month as a number from 1 to 12"),
        (["x", "3", "2018"], "Enter the day as a number"),
        (["31", "2", "2020"], "Enter a real date"),
        (["0", "2", "2020"], "Enter a real date"),
        (["", "", "0000"], "Enter a real date"),
    ],
)
def test_boxes_that_make_no_date_say_what_to_type(parts, message):
    with pytest.raises(ValidationError, match=message):
        PartialDateField().clean(parts)


@pytest.mark.parametrize(
    ("whole", "ending", "expected"),
    [
        ("2018-03-27", False, datetime.date(2018, 3, 27)),  # as every address shared before the boxes
        ("27/03/2018", False, datetime.date(2018, 3, 27)),
        ("2018", True, datetime.date(2018, 12, 31)),
        ("2018-03", True, datetime.date(2018, 3, 31)),
    ],
)
def test_a_date_given_whole_is_read_as_before_and_a_year_or_month_as_a_period(whole, ending, expected):
    assert PartialDateField(ending=ending).clean(whole) == expected


def test_the_boxes_are_shared_as_the_dates_they_make():
    query = QueryDict(
        "q=supervision&date_from_day=&date_from_month=3&date_from_year=2018"
        "&date_to_day=&date_to_month=&date_to_year=2019&theme=supervision"
    )
    assert dates_in_boxes(query).urlencode() == (
        "q=supervision&theme=supervision&date_from=2018-03-01&date_to=2019-12-31"
    )
    empty = QueryDict("q=supervision&date_from_day=&date_from_month=&date_from_year=")
    assert dates_in_boxes(empty).urlencode() == "q=supervision"
    unchanged = QueryDict("q=supervision&date_from=2018-03-01")
    assert dates_in_boxes(unchanged) is unchanged
    # boxes that make no date stay as typed, for the page to say why
    wrong = QueryDict("date_from_day=31&date_from_month=2&date_from_year=2020&date_to_year=2021")
    assert dates_in_boxes(wrong).urlencode() == (
        "date_from_day=31&date_from_month=2&date_from_year=2020&date_to=2021-12-31"
    )


def test_the_search_page_redirects_boxes_to_the_address_links_use(client, dated):
    response = client.get(SEARCH, {"q": "supervision", "date_from_year": "2019", "date_to_year": ""})
    assert response.status_code == 302
    assert response["Location"] == f"{SEARCH}?q=supervision&date_from=2019-01-01"
    page = client.get(response["Location"])
    assert page.context["search"].count == 2
    boxes = {
        field["name"]: [part["value"] for part in field["parts"]] for field in page.context["date_boxes"]
    }
    assert boxes == {"date_from": ["1", "1", "2019"], "date_to": ["", "", ""]}
    html = page.content.decode()
    assert 'name="date_from_year"' in html and 'type="date"' not in html
    assert "Inspected from: 1 January 2019" in html  # the selected filter's tag


@pytest.mark.parametrize(
    ("params", "years"),
    [
        ({"date_from": "2019-01-01"}, {2019, 2023}),  # an address shared before the boxes
        ({"date_to": "2019-12-31"}, {2016, 2019}),
        ({"date_from": "2019", "date_to": "2019"}, {2019}),
        ({"date_from": "2016-03-07"}, {2019, 2023}),
    ],
)
def test_old_addresses_and_whole_dates_still_filter(client, dated, params, years):
    page = client.get(SEARCH, params)
    assert page.status_code == 200
    assert {finding.inspection_date.year for finding in page.context["findings"]} == years
    # the exports and the feed read the same dates, whole or in boxes
    csv_rows = (
        b"".join(client.get(reverse("finding-csv"), params).streaming_content)
        .decode("utf-8-sig")
        .splitlines()
    )
    assert len(csv_rows) == 1 + len(years)
    api = json.loads(client.get(reverse("api-findings"), params).content)
    assert api["count"] == len(years)


def test_exports_read_dates_in_boxes_too(client, dated):
    boxes = {"date_from_year": "2019", "date_to_month": "6", "date_to_year": "2023"}
    api = json.loads(client.get(reverse("api-findings"), boxes).content)
    assert api["count"] == 2


def test_boxes_that_make_no_date_are_shown_as_typed_with_why(client, dated):
    page = client.get(SEARCH, {"date_from_day": "31", "date_from_month": "2", "date_from_year": "2020"})
    assert page.status_code == 200
    assert page.context["search"].count == 3  # the filter is ignored, and the page says so
    html = page.content.decode()
    assert "Inspected from: Enter a real date: there is no such day. This filter was ignored." in html
    assert 'id="date_from-error"' in html and 'aria-invalid="true"' in html
    [typed] = [field for field in page.context["date_boxes"] if field["name"] == "date_from"]
    assert [part["value"] for part in typed["parts"]] == ["31", "2", "2020"]


def test_periods_the_wrong_way_round_are_read_whole(client, dated):
    page = client.get(SEARCH, {"date_from": "2023", "date_to": "2019"})
    assert page.context["dates_swapped"]
    assert "from 1 January 2019 to 31 December 2023" in page.content.decode()
    assert page.context["search"].count == 2


def test_quick_date_choices_link_to_this_search_over_those_dates(client, dated, settings):
    page = client.get(SEARCH, {"q": "supervision", "date_from": "2018-01-01", "page": "1"})
    choices = {choice["label"]: choice for choice in page.context["date_choices"]}
    ilacs = choices["Since ILACS began (January 2018)"]
    assert ilacs["url"] == f"{SEARCH}?q=supervision&date_from=2018-01-01" and ilacs["current"]
    assert choices["Before ILACS (to 2017)"]["url"] == f"{SEARCH}?q=supervision&date_to=2017-12-31"
    assert not choices["Before ILACS (to 2017)"]["current"]
    year_ago = choices["Last 12 months"]["url"].split("date_from=")[1]
    assert datetime.date.fromisoformat(year_ago).year == datetime.date.today().year - 1
    assert '<a href="/findings/?q=supervision&amp;date_from=2018-01-01" aria-current="true">' in (
        page.content.decode()
    )


# Facets ----------------------------------------------------------------------------------------


def test_a_long_facet_lists_its_ticked_options_first_and_offers_a_box_to_narrow_it(client):
    authorities = list(Authority.objects.filter(end_date__isnull=True).order_by("short_name")[:15])
    for authority in authorities:
        FindingFactory(inspection=InspectionFactory(authority=authority), text="Supervision is regular.")
    last, other = authorities[-1], authorities[-2]
    page = client.get(SEARCH, {"q": "supervision", "authority": [last.slug, other.slug]})
    html = page.content.decode()
    boxes = html.split('id="options-authority"')[1].split("</fieldset>")[0]
    order = [authority.slug for authority in authorities if f'value="{authority.slug}"' in boxes]
    assert len(order) == 15
    assert sorted(order, key=lambda slug: boxes.index(f'value="{slug}"'))[:2] == [other.slug, last.slug]
    assert '<input id="find-authority" type="search"' in html  # no name: never sent with the form
    assert 'name="find' not in html
    # a short facet keeps its own order, and no box
    assert (
        'id="find-region"' not in html and "options-long" not in html.split('id="options-region"')[0][-200:]
    )


# The grade chart -------------------------------------------------------------------------------

SIF_AREAS = [
    JudgementArea.OVERALL_EFFECTIVENESS,
    JudgementArea.HELP_AND_PROTECTION,
    JudgementArea.IN_CARE,
    JudgementArea.CARE_LEAVERS,
    JudgementArea.ADOPTION,
    JudgementArea.LEADERSHIP,
    JudgementArea.LSCB,
]


def test_one_inspection_s_seven_grades_each_get_a_row():
    inspection = InspectionFactory(kind=InspectionKind.SIF, start_date=datetime.date(2016, 11, 14))
    for area in SIF_AREAS:
        JudgementFactory(inspection=inspection, area=area, grade=Grade.REQUIRES_IMPROVEMENT)
    chart = charts.grade_chart(inspections_with_judgements(Inspection.objects.all()))
    assert [column.kind_short for column in chart.columns] == ["SIF"]
    assert [area for area, _ in chart.rows] == [area.label for area in SIF_AREAS]
    assert all(grades == ["requires_improvement"] for _, grades in chart.rows)
    assert not chart.compact


def test_twenty_inspections_each_get_a_column_and_ungraded_visits_none():
    authority = Authority.objects.get(slug="kent")
    for year in range(2005, 2025):
        inspection = InspectionFactory(
            authority=authority, start_date=datetime.date(year, 6, 1), end_date=None
        )
        JudgementFactory(inspection=inspection, area=JudgementArea.OVERALL_EFFECTIVENESS, grade=Grade.GOOD)
        if year % 2:
            JudgementFactory(
                inspection=inspection, area=JudgementArea.IMPACT_OF_LEADERS, grade=Grade.INADEQUATE
            )
    InspectionFactory(authority=authority, kind=InspectionKind.FOCUSED_VISIT, end_date=None)  # grades nothing
    timeline = inspections_with_judgements(authority.inspections.order_by("date"))
    chart = charts.grade_chart(timeline)
    assert len(chart.columns) == 20 and chart.compact
    assert dict(chart.rows)["Impact of leaders on practice"][:2] == ["inadequate", None]
    assert (
        charts.grade_chart(inspections_with_judgements(Inspection.objects.filter(kind="focused_visit")))
        is None
    )


def test_the_authority_page_shows_every_graded_area(client):
    inspection = InspectionFactory(
        authority=Authority.objects.get(slug="rutland"),
        kind=InspectionKind.SIF,
        start_date=datetime.date(2016, 11, 14),
    )
    for area in SIF_AREAS:
        JudgementFactory(inspection=inspection, area=area, grade=Grade.GOOD)
    html = client.get(reverse("authority-detail", args=["rutland"])).content.decode()
    chart = html.split('class="table-scroll sticky-names grade-chart')[1].split("</table>")[0]
    for area in SIF_AREAS:
        assert f'<th scope="row">{area.label}</th>' in chart
    assert "<svg" not in chart


# A report's title as printed -------------------------------------------------------------------


def test_the_authorities_a_title_names():
    authorities = Authority.objects.all()
    named = lambda title: {authority.slug for authority in authorities_named(title, authorities)}  # noqa: E731
    assert named("Inspection of Leicestershire local authority children's services") == {"leicestershire"}
    assert "north-somerset" in named("Inspection of North Somerset Council children's services")
    assert named("Inspection of services for children in need of help and protection") == set()
    assert named("Derbyshire County Council") == {"derbyshire"}  # not Derby: whole words only


def test_a_title_naming_another_authority_is_shown_as_printed_with_the_authority_filed_under(client):
    rutland = Authority.objects.get(slug="rutland")
    corrected = InspectionFactory(
        authority=rutland, title="Inspection of Leicestershire local authority children's services"
    )
    FindingFactory(inspection=corrected, text="Edge of care support is well coordinated.")
    html = client.get(corrected.get_absolute_url()).content.decode()
    assert '<p class="caption">Rutland County Council</p>' in html
    assert (
        "which names Leicestershire County Council: the archive has the report as an inspection of " in html
    )
    # everywhere else it is listed under the authority filed under, never the printed one
    assert (
        corrected.get_absolute_url()
        in client.get(reverse("authority-detail", args=["rutland"])).content.decode()
    )
    assert (
        corrected.get_absolute_url()
        not in client.get(reverse("authority-detail", args=["leicestershire"])).content.decode()
    )
    [finding] = client.get(SEARCH, {"q": "edge of care"}).context["findings"]
    assert finding.authority_name == "Rutland"


def test_a_title_naming_its_own_authority_or_none_has_no_note(client):
    rutland = Authority.objects.get(slug="rutland")
    own = InspectionFactory(authority=rutland)
    html = client.get(own.get_absolute_url()).content.decode()
    assert 'class="caption"' not in html and "title-note" not in html
    generic = InspectionFactory(
        authority=rutland, title="Inspection of services for children in need of help"
    )
    html = client.get(generic.get_absolute_url()).content.decode()
    assert '<p class="caption">Rutland County Council</p>' in html and "title-note" not in html
