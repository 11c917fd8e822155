import datetime

import pytest

from inspections.authority_names import AuthorityMatcher, core
from inspections.models import Authority

pytestmark = pytest.mark.django_db


def test_fixture_loads_the_153_current_authorities_with_their_codes():
    current = Authority.objects.current()
    assert current.count() == 153
    rutland = Authority.objects.get(gss_code="E06000017")
    assert (rutland.short_name, rutland.dfe_code, rutland.ofsted_urn, rutland.region, rutland.type) == (
        "Rutland", "857", 80547, "east_midlands", "unitary"
    )  # fmt: skip
    assert rutland.statistical_neighbours.count() == 10


def test_barnsley_is_found_under_its_current_and_former_codes():
    barnsley = Authority.objects.get(gss_code="E08000038")
    assert barnsley.former_gss_codes == ["E08000016"]
    assert Authority.objects.get(former_gss_codes__contains=["E08000016"]) == barnsley


def test_reorganised_councils_are_present_and_marked_replaced():
    northamptonshire = Authority.objects.get(gss_code="E10000021")
    assert northamptonshire.end_date == datetime.date(2021, 4, 1)
    assert set(northamptonshire.replaced_by.values_list("short_name", flat=True)) == {
        "North Northamptonshire",
        "West Northamptonshire",
    }
    bcp = Authority.objects.get(short_name="Bournemouth, Christchurch and Poole")
    assert set(bcp.replaces.values_list("short_name", flat=True)) == {"Bournemouth", "Poole"}
    assert Authority.objects.get(gss_code="E10000006").replaced_by.count() == 2  # Cumbria


@pytest.mark.parametrize(
    ("printed", "gss_code"),
    [
        ("Metropolitan Borough of Barnsley Council", "E08000038"),
        ("Leeds City", "E08000035"),
        ("Leeds City Council", "E08000035"),
        ("East Riding", "E06000011"),
        ("Bournemouth, Christchurch and Poole", "E06000058"),
        ("Bristol City of", "E06000023"),
        ("Royal Borough of Kingston upon Thames", "E09000021"),
        ("London Borough of Barking & Dagenham", "E09000002"),
        ("Rutland County Council", "E06000017"),
        ("Brighter Futures for Children", None),
        ("North Somerset", "E06000024"),
    ],
)
def test_printed_names_match_the_right_authority(printed, gss_code):
    matcher = AuthorityMatcher(Authority.objects.all())
    pk = matcher.match(printed, on=datetime.date(2022, 1, 1))
    assert (Authority.objects.get(pk=pk).gss_code if pk else None) == gss_code


def test_a_name_shared_across_a_reorganisation_matches_the_council_of_the_day():
    matcher = AuthorityMatcher(Authority.objects.all())
    before = Authority.objects.get(pk=matcher.match("Somerset", on=datetime.date(2017, 3, 1)))
    after = Authority.objects.get(pk=matcher.match("Somerset", on=datetime.date(2024, 3, 1)))
    assert (before.gss_code, after.gss_code) == ("E10000027", "E06000066")


def test_core_drops_only_the_generic_words():
    assert core("London Borough of Barking & Dagenham") == "barking dagenham"
    assert core("North East Lincolnshire Council") == "north east lincolnshire"


def test_the_latest_grade_is_shown_with_the_date_of_the_inspection_that_gave_it(client):
    from django.urls import reverse

    from .factories import InspectionFactory, JudgementFactory

    leeds = Authority.objects.get(slug="leeds")
    graded = InspectionFactory(
        authority=leeds, start_date=datetime.date(2019, 3, 4), end_date=datetime.date(2019, 3, 15)
    )
    JudgementFactory(inspection=graded, grade="outstanding")
    # a later focused visit grades nothing: its date must not sit beside the older grade
    InspectionFactory(
        authority=leeds,
        kind="focused_visit",
        start_date=datetime.date(2024, 10, 1),
        end_date=datetime.date(2024, 10, 2),
    )
    page = client.get(reverse("authority-list"), {"region": leeds.region}).content.decode()
    row = page[page.index(">Leeds</a>") :].split("</tr>")[0]
    assert "1 Oct 2024" in row  # the latest inspection
    assert "Outstanding" in row
    assert f'<a class="graded-on" href="{reverse("inspection-detail", args=[graded.pk])}">Mar 2019</a>' in row
