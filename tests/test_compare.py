"""Authorities compared, recurring themes, the latest graded judgement, the graded-between filter and
similar findings: the queries on the real PostgreSQL, and the pages' edge cases."""

import datetime
import html
import math
import re

import pytest
from django.db import connection
from django.urls import reverse

from inspections.compare import (
    MAX_COMPARED,
    chosen_authorities,
    grade_years,
    graded_inspections,
    improvement_themes,
    recurring_themes,
)
from inspections.filters import AuthorityListFilterSet
from inspections.grades import NO_OVERALL_GRADE_2026, latest_grade_annotations
from inspections.models import Authority, Finding, FindingTheme, Lexeme
from inspections.similar import SIMILAR_AT_MOST, similar_findings, telling_lexemes

from .factories import AuthorityFactory, FindingFactory, InspectionFactory, JudgementFactory, ThemeFactory

pytestmark = pytest.mark.django_db

OVERALL = "overall_effectiveness"


def authority(slug: str) -> Authority:
    return Authority.objects.get(slug=slug)


def inspection(authority, start: datetime.date, overall: str | None = None, kind="ilacs", **grades):
    """An inspection; `overall` its overall effectiveness grade, `grades` other areas' grades."""
    made = InspectionFactory(authority=authority, kind=kind, start_date=start, end_date=start)
    if overall:
        JudgementFactory(inspection=made, area=OVERALL, grade=overall)
    for area, grade in grades.items():
        JudgementFactory(inspection=made, area=area, grade=grade)
    return made


def finding(inspection, kind="area_for_improvement", themes=(), text="The timeliness of plans.", **fields):
    made = FindingFactory(inspection=inspection, kind=kind, text=text, area=None, **fields)
    for theme in themes:
        FindingTheme.objects.create(finding=made, theme=theme, matched="")
    return made


def text_of(response) -> str:
    """A page's text, tags dropped and spaces squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def annotated(slug: str) -> Authority:
    return Authority.objects.annotate(**latest_grade_annotations()).get(slug=slug)


# The latest graded judgement ---------------------------------------------------------------------


def test_a_2026_ilacs_without_an_overall_grade_is_the_latest_grade_not_an_older_one(client):
    brent = authority("brent")
    inspection(brent, datetime.date(2019, 3, 4), overall="good")
    latest = inspection(brent, datetime.date(2026, 4, 27), in_care="good", care_leavers="good")
    # a later visit grades nothing, so it does not stand in for the grade
    inspection(brent, datetime.date(2026, 9, 1), kind="focused_visit")

    row = annotated("brent")
    assert row.latest_overall_grade is None
    assert row.latest_overall_grade_inspection_id == latest.pk
    assert row.latest_overall_grade_date == datetime.date(2026, 4, 27)

    page = client.get(reverse("authority-list"), {"region": brent.region})
    listed = text_of(page)
    brent_row = listed[listed.index("Brent") :][:200]
    assert f"{NO_OVERALL_GRADE_2026} Apr 2026" in brent_row
    assert "Good" not in brent_row
    detail = text_of(client.get(brent.get_absolute_url()))
    assert f"Latest overall grade {NO_OVERALL_GRADE_2026} Apr 2026" in detail
    # the filter on the latest overall grade no longer finds it as good
    good = client.get(reverse("authority-list"), {"overall_grade": "good"})
    assert "Brent" not in text_of(good)


def test_the_latest_grade_is_the_latest_graded_inspections_own_grade_and_date():
    leeds = authority("leeds")
    inspection(leeds, datetime.date(2015, 1, 12), overall="good")
    latest = inspection(leeds, datetime.date(2022, 3, 7), overall="outstanding")
    inspection(leeds, datetime.date(2024, 10, 1), kind="focused_visit")
    row = annotated("leeds")
    assert (row.latest_overall_grade, row.latest_overall_grade_date) == (
        "outstanding",
        datetime.date(2022, 3, 7),
    )
    assert row.latest_overall_grade_inspection_id == latest.pk
    never = annotated("rutland")
    assert never.latest_overall_grade is None and never.latest_overall_grade_inspection_id is None


# Graded X between dates ----------------------------------------------------------------------------


@pytest.fixture
def graded_history():
    inspection(authority("leeds"), datetime.date(2015, 1, 12), overall="inadequate")
    inspection(authority("leeds"), datetime.date(2022, 3, 7), overall="outstanding")
    inspection(authority("rutland"), datetime.date(2019, 10, 14), overall="inadequate")
    inspection(authority("cornwall"), datetime.date(2023, 2, 6), overall="requires_improvement")
    inspection(authority("cornwall"), datetime.date(2024, 2, 6), kind="focused_visit")


def filtered(**data) -> set[str]:
    queryset = Authority.objects.annotate(**latest_grade_annotations())
    return set(AuthorityListFilterSet(data, queryset=queryset).qs.values_list("slug", flat=True))


def test_graded_between_finds_an_overall_grade_in_those_dates(graded_history):
    assert filtered(graded=["inadequate"], graded_from="2018-01-01") == {"rutland"}  # inadequate since 2018
    assert filtered(graded=["inadequate"]) == {"leeds", "rutland"}  # ever
    assert filtered(graded=["inadequate"], graded_to="2017-12-31") == {"leeds"}
    assert filtered(graded=["inadequate", "requires_improvement"], graded_from="2019-01-01") == {
        "rutland",
        "cornwall",
    }
    assert filtered(graded_from="2020-01-01") == {"leeds", "cornwall"}  # any overall grade since 2020
    assert filtered(graded=["good"]) == set()


def test_graded_between_dates_given_the_wrong_way_round_are_read_the_right_way(graded_history):
    assert filtered(graded=["inadequate"], graded_from="2020-01-01", graded_to="2014-01-01") == {
        "leeds",
        "rutland",
    }


def test_graded_between_on_the_authorities_page(client, graded_history):
    page = client.get(reverse("authority-list"), {"graded": "inadequate", "graded_from": "2018-01-01"})
    assert re.search(r"<h2[^>]*>1 authority</h2>", page.content.decode())
    assert 'id="id_graded_from"' in page.content.decode()
    assert "Rutland" in text_of(page)


# Who is compared ----------------------------------------------------------------------------------


def test_authorities_are_chosen_by_slug_or_name_once_each_in_the_order_given():
    chosen = chosen_authorities(["leeds", "Bradford", "LEEDS", " bath-and-north-east-somerset ", ""])
    assert [a.slug for a in chosen.authorities] == ["leeds", "bradford", "bath-and-north-east-somerset"]
    assert chosen.unknown == [] and chosen.left_out == []


def test_unknown_authorities_are_listed_and_the_rest_compared(client):
    response = client.get(reverse("compare"), {"authority": ["leeds", "atlantis", "bradford", "<b>x</b>"]})
    assert response.status_code == 200
    shown = text_of(response)
    assert "No authority is called “atlantis” or “<b>x</b>”, so they are left out." in shown
    assert "<b>x</b>" not in response.content.decode()  # escaped
    assert "2 authorities side by side" in shown


def test_more_than_twelve_compares_the_first_twelve_and_names_the_rest(client):
    slugs = list(Authority.objects.current().order_by("slug").values_list("slug", flat=True)[:15])
    response = client.get(reverse("compare"), {"authority": slugs})
    shown = text_of(response)
    names = dict(Authority.objects.values_list("slug", "short_name"))
    left_out = [names[slug] for slug in slugs[MAX_COMPARED:]]
    assert (
        f"At most 12 authorities can be compared at once, and 15 were chosen: the first 12 are compared, "
        f"and {left_out[0]}, {left_out[1]} and {left_out[2]} are left out." in shown
    )
    assert "12 authorities side by side" in shown
    assert (
        len(re.findall(r'<input type="checkbox" name="authority"[^>]* checked>', response.content.decode()))
        == 12
    )


def test_none_chosen_explains_how_to_choose(client):
    for query in ({}, {"authority": ""}, {"authority": "atlantis"}):
        response = client.get(reverse("compare"), query)
        assert response.status_code == 200
        shown = text_of(response)
        assert "Tick the authorities to compare below, then press Compare." in shown
        assert "side by side:" in shown and "Overall effectiveness over time" not in shown
        assert response.content.decode().count('name="authority"') == Authority.objects.current().count()


def test_an_authority_page_links_to_compare_it_with_its_statistical_neighbours(client):
    rutland = authority("rutland")
    page = client.get(rutland.get_absolute_url()).content.decode()
    link = re.search(r'<a href="(/compare/\?[^"]+)">Compare Rutland with its statistical neighbours', page)
    slugs = re.findall(r"authority=([\w-]+)", html.unescape(link.group(1)))
    neighbours = set(rutland.statistical_neighbours.values_list("slug", flat=True))
    assert slugs[0] == "rutland" and set(slugs[1:]) == neighbours and len(slugs) <= MAX_COMPARED


# Grades over time -----------------------------------------------------------------------------------


def test_grades_over_time_side_by_side_by_year(client):
    leeds, brent = authority("leeds"), authority("brent")
    inspection(leeds, datetime.date(2015, 1, 12), overall="good")
    inspection(leeds, datetime.date(2022, 3, 7), overall="outstanding")
    inspection(leeds, datetime.date(2023, 3, 7), kind="focused_visit")  # grades nothing: not listed
    inspection(brent, datetime.date(2022, 6, 1), overall="requires_improvement")
    inspection(brent, datetime.date(2026, 4, 27), help_and_protection="good")
    graded = graded_inspections([leeds, brent])
    years = grade_years([leeds, brent], graded)
    table = [(year.year, [[(g.grade, g.date.month) for g in cell] for cell in year.cells]) for year in years]
    assert table == [
        (2026, [[], [(None, 4)]]),
        (2022, [[("outstanding", 3)], [("requires_improvement", 6)]]),
        (2015, [[("good", 1)], []]),
    ]
    response = client.get(reverse("compare"), {"authority": ["leeds", "brent"]})
    page = response.content.decode()
    assert page.count('class="dot compare-1"') == 2 and page.count('class="dot compare-2"') == 1
    assert "<title>Leeds, March 2022: Outstanding</title>" in page
    assert f"{NO_OVERALL_GRADE_2026} Apr 2026" in text_of(response)


# Themes against the national rate ------------------------------------------------------------------


def test_each_authoritys_theme_share_against_the_national_rate():
    leeds, bradford, rutland = authority("leeds"), authority("bradford"), authority("rutland")
    timeliness, oversight = ThemeFactory(name="Timeliness"), ThemeFactory(name="Oversight")
    leeds_ilacs, bradford_ilacs = (
        inspection(leeds, datetime.date(2022, 3, 7)),
        inspection(bradford, datetime.date(2022, 5, 9)),
    )
    rutland_sif = inspection(rutland, datetime.date(2016, 5, 9), kind="sif")
    # Leeds: 4 improvement points, 3 on timeliness, 1 on both; a strength and a narrative don't count
    for themes in ([timeliness], [timeliness], [timeliness, oversight], []):
        finding(leeds_ilacs, themes=themes)
    finding(leeds_ilacs, kind="strength", themes=[timeliness])
    finding(leeds_ilacs, kind="narrative", themes=[oversight])
    # Bradford: 2 (a priority action on oversight, one untagged); Rutland: a recommendation on timeliness
    finding(bradford_ilacs, kind="priority_action", themes=[oversight])
    finding(bradford_ilacs)
    finding(rutland_sif, kind="recommendation", themes=[timeliness])

    rows = improvement_themes([leeds, bradford])
    by_theme = {row.theme.name: row for row in rows}
    # nationally 7 improvement points: timeliness on 4, oversight on 2
    assert [row.theme.name for row in rows] == ["Timeliness", "Oversight"]
    assert (
        math.isclose(by_theme["Timeliness"].national, 4 / 7)
        and by_theme["Timeliness"].national_percent == "57%"
    )
    assert math.isclose(by_theme["Oversight"].national, 2 / 7)
    leeds_time, bradford_time = by_theme["Timeliness"].shares
    assert (leeds_time.count, leeds_time.total, leeds_time.percent) == (3, 4, "75%")
    assert leeds_time.above_national
    assert (bradford_time.count, bradford_time.total, bradford_time.share) == (0, 2, 0.0)
    leeds_over, bradford_over = by_theme["Oversight"].shares
    assert (leeds_over.count, leeds_over.percent, leeds_over.above_national) == (1, "25%", False)
    # 50% is above the national 29%, but one finding alone is no pattern
    assert (bradford_over.count, bradford_over.percent, bradford_over.above_national) == (1, "50%", False)
    assert (
        leeds_time.url
        == reverse("finding-search") + f"?authority=leeds&theme={timeliness.slug}&kind=improvement"
    )
    assert (leeds.improvement_total, bradford.improvement_total) == (4, 2)
    assert leeds.improvement_url.endswith("?authority=leeds&kind=improvement")


def test_the_national_rate_follows_the_archive_as_it_changes():
    leeds = authority("leeds")
    theme = ThemeFactory()
    ilacs = inspection(leeds, datetime.date(2022, 3, 7))
    finding(ilacs, themes=[theme])
    finding(ilacs)
    assert improvement_themes([leeds])[0].national == 0.5
    finding(inspection(authority("bradford"), datetime.date(2023, 1, 9)), themes=[theme])
    assert math.isclose(improvement_themes([leeds])[0].national, 2 / 3)


# Recurring --------------------------------------------------------------------------------------------


def test_recurring_themes_are_those_named_in_two_or_more_inspections():
    leeds = authority("leeds")
    planning, supervision, voice, neglect = (
        ThemeFactory(name=n) for n in ("Planning", "Supervision", "Voice", "Neglect")
    )
    sif = inspection(leeds, datetime.date(2015, 1, 12), kind="sif")
    ilacs = inspection(leeds, datetime.date(2022, 3, 7))
    visit = inspection(leeds, datetime.date(2024, 6, 3), kind="focused_visit")
    finding(sif, kind="recommendation", themes=[planning, supervision], order=1)
    finding(ilacs, themes=[planning], order=1, number=3)
    finding(ilacs, kind="priority_action", themes=[planning], order=2)
    finding(visit, themes=[planning, supervision], order=1)
    finding(ilacs, themes=[voice], order=3)  # voice: twice, in one inspection
    finding(visit, themes=[voice], order=2)
    finding(ilacs, kind="strength", themes=[neglect], order=4)  # neglect: never an improvement point
    finding(visit, kind="narrative", themes=[neglect], order=3)

    recurring = recurring_themes([leeds.pk])
    assert [(item.theme.name, item.years) for item in recurring] == [
        ("Planning", [2015, 2022, 2024]),
        ("Supervision", [2015, 2024]),
        ("Voice", [2022, 2024]),
    ]
    planning_ilacs = recurring[0].inspections[1]
    assert planning_ilacs.inspection_id == ilacs.pk
    assert [(f.order, f.kind_label, f.number) for f in planning_ilacs.findings] == [
        (1, "Area for improvement", 3),
        (2, "Priority action", None),
    ]


def test_recurring_counts_the_inspections_of_the_councils_an_authority_replaced(client):
    north = authority("north-northamptonshire")
    county = north.replaces.get()
    theme = ThemeFactory(name="Front door")
    finding(inspection(county, datetime.date(2019, 5, 1), kind="sif"), kind="recommendation", themes=[theme])
    later = finding(inspection(north, datetime.date(2026, 5, 11)), themes=[theme])
    page = client.get(north.get_absolute_url())
    assert "Front door: in 2 inspections (2019, 2026)" in text_of(page)
    assert f'href="{reverse("inspection-detail", args=[later.inspection_id])}#finding-{later.order}"' in (
        page.content.decode()
    )


def test_a_long_recurring_theme_lists_its_latest_inspections_and_links_to_the_rest(client, settings):
    leeds = authority("leeds")
    theme = ThemeFactory(name="Front door", slug="front-door")
    given = [
        finding(
            inspection(leeds, datetime.date(2010 + year, 5, 1)),
            themes=[theme],
            text=f"Point of {2010 + year}.",
        )
        for year in range(6)
    ]
    page = client.get(leeds.get_absolute_url())
    shown = text_of(page)
    assert "Front door: in 6 inspections (2010, 2011, 2012, 2013, 2014, 2015)" in shown
    assert [year for year in range(2010, 2016) if f"Point of {year}." in shown] == [2012, 2013, 2014, 2015]
    assert "the 2 earlier ones not listed here" in shown
    link = re.search(
        r'href="([^"]*)">All 6 inspections\' improvement points on front door', page.content.decode()
    )
    found = client.get(html.unescape(link[1]))
    assert {row.pk for row in found.context["findings"]} == {row.pk for row in given}


def test_an_authority_with_nothing_recurring_says_so(client):
    theme = ThemeFactory()
    finding(inspection(authority("rutland"), datetime.date(2019, 10, 14)), themes=[theme])
    shown = text_of(client.get(authority("rutland").get_absolute_url()))
    assert "No theme is among Rutland's improvement points in more than one inspection" in shown


# Similar findings ------------------------------------------------------------------------------------

SUPERVISION = (
    "Social workers receive regular reflective supervision, and managers record their oversight of "
    "children's plans, so that drift is avoided."
)


def similar_setup():
    leeds, bradford, cornwall = authority("leeds"), authority("bradford"), authority("cornwall")
    leeds_ilacs = inspection(leeds, datetime.date(2022, 3, 7))
    bradford_ilacs = inspection(bradford, datetime.date(2022, 5, 9))
    cornwall_ilacs = inspection(cornwall, datetime.date(2023, 2, 6))
    the_one = finding(leeds_ilacs, kind="strength", text=SUPERVISION)
    same_authority = finding(leeds_ilacs, kind="strength", text=SUPERVISION + " Leaders know this.")
    other_kind = finding(bradford_ilacs, kind="area_for_improvement", text=SUPERVISION)
    same_kind = finding(
        cornwall_ilacs,
        kind="strength",
        text="Social workers receive reflective supervision, and managers record oversight of plans.",
    )
    unrelated = finding(cornwall_ilacs, kind="strength", text="Care leavers live in suitable accommodation.")
    for n in range(6):  # the common words are common, the telling ones rare
        finding(cornwall_ilacs, kind="narrative", text=f"Children and families are seen by workers {n}.")
    return the_one, same_authority, other_kind, same_kind, unrelated


def test_similar_findings_same_kind_first_other_authorities_only():
    the_one, same_authority, other_kind, same_kind, unrelated = similar_setup()
    similar = similar_findings(the_one.pk)
    ids = [found.id for found in similar]
    assert ids == [same_kind.pk, other_kind.pk]  # same kind first, though the other is word for word
    assert same_authority.pk not in ids and unrelated.pk not in ids
    assert similar[1].similarity == pytest.approx(1.0) and similar[1].band == "Very similar"
    assert 0 < similar[0].similarity < 1 and similar[0].percent == round(similar[0].similarity * 100)
    assert similar[0].authority_slug == "cornwall"
    assert (
        similar[0].url
        == f"{reverse('inspection-detail', args=[same_kind.inspection_id])}#finding-{same_kind.order}"
    )


def test_similar_findings_are_at_most_ten():
    the_one = similar_setup()[0]
    for slug in Authority.objects.exclude(slug="leeds").values_list("slug", flat=True)[:14]:
        finding(inspection(authority(slug), datetime.date(2021, 1, 4)), kind="strength", text=SUPERVISION)
    assert len(similar_findings(the_one.pk)) == SIMILAR_AT_MOST == 10


def test_a_finding_with_nothing_like_it_elsewhere_has_no_similar_findings(client):
    alone = finding(inspection(authority("leeds"), datetime.date(2022, 3, 7)), text="Zebras quagga okapi.")
    assert similar_findings(alone.pk) == []
    assert similar_findings(0) == []
    response = client.get(reverse("finding-similar", args=[alone.pk]))
    assert "No finding in another authority's reports shares enough" in text_of(response)
    assert client.get(reverse("finding-similar", args=[999999999])).status_code == 404


def test_the_similar_page_shows_each_with_how_similar_it_is(client):
    the_one = similar_setup()[0]
    response = client.get(reverse("finding-similar", args=[the_one.pk]))
    shown = text_of(response)
    assert "Similarity: Very similar (100%)" in shown
    assert shown.index("Cornwall") < shown.index("Bradford")
    inspection_page = client.get(reverse("inspection-detail", args=[the_one.inspection_id])).content.decode()
    assert f'href="{reverse("finding-similar", args=[the_one.pk])}"' in inspection_page


def test_telling_lexemes_are_the_rarest_within_the_budget():
    counts = {"common": 1500, "rare": 3, "rarer": 2, "middling": 400, "often": 900}
    assert telling_lexemes(counts) == ["rarer", "rare", "middling", "often"]
    assert telling_lexemes({"a": 5000, "b": 6000, "c": 7000}) == ["a", "b"]  # two at least


def lexeme_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat('SELECT ts_filter(search_vector, ''{a}'') FROM inspections_finding')"
        )
        return dict(cursor.fetchall())


def test_the_lexeme_counts_follow_every_insert_delete_and_change_of_text():
    ilacs = inspection(authority("leeds"), datetime.date(2022, 3, 7))
    for order in (1, 2, 3):
        FindingFactory(inspection=ilacs, order=order, text="Supervision is regular and reflective.")
    Finding.objects.bulk_create(
        [
            Finding(inspection=ilacs, kind="strength", order=50 + n, text=f"Reflective practice {n}.")
            for n in range(3)
        ]
    )
    assert dict(Lexeme.objects.values_list("lexeme", "findings")) == lexeme_counts()
    assert Lexeme.objects.get(lexeme="reflect").findings == 6
    changed = Finding.objects.get(inspection=ilacs, order=1)
    changed.text = "Advocacy is offered to every child."
    changed.save()
    Finding.objects.filter(order__gte=51).delete()
    assert dict(Lexeme.objects.values_list("lexeme", "findings")) == lexeme_counts()
    assert Lexeme.objects.get(lexeme="reflect").findings == 3
    ilacs.delete()
    assert not Lexeme.objects.exists()


def test_similar_findings_leave_out_the_councils_it_took_over_from_or_that_took_over_from_it():
    the_one, *_ = similar_setup()  # a Leeds finding
    leeds = authority("leeds")
    predecessor, successor, sibling = AuthorityFactory(), AuthorityFactory(), AuthorityFactory()
    predecessor.replaced_by.add(leeds)
    leeds.replaced_by.add(successor)
    predecessor.replaced_by.add(sibling)  # took over alongside Leeds: another council
    earlier_one = AuthorityFactory()
    earlier_one.replaced_by.add(predecessor)  # two removes back
    made = {
        name: finding(inspection(council, datetime.date(2015, 1, 5)), kind="strength", text=SUPERVISION)
        for name, council in [
            ("predecessor", predecessor), ("successor", successor), ("sibling", sibling),
            ("earlier", earlier_one),
        ]
    }  # fmt: skip
    ids = {found.id for found in similar_findings(the_one.pk)}
    assert made["sibling"].pk in ids
    assert not ids & {made[name].pk for name in ("predecessor", "successor", "earlier")}
