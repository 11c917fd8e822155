"""The findings FilterSet, full-text search and the pages, exports and API built on them."""

import csv
import datetime
import io
import json
import re
from unittest import mock

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections import selectors
from inspections.filters import FindingFilterSet
from inspections.models import Authority, Finding, FindingTheme, SearchWord
from inspections.presenters import search_results
from inspections.search import archive_version, labels_of, reading_at
from inspections.search.engine import page_rows

from .factories import FindingFactory, InspectionFactory, JudgementFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def finding_facets(filterset: FindingFilterSet):
    """The search page's facets for the filters."""
    return Finding.objects.search_page(filterset, "newest", 1).facets


def page_findings(ids: list[int], query_text: str):
    """The findings with these ids as a search's page lists them."""
    labels = labels_of(archive_version(), Finding.objects.all())
    return search_results(page_rows(Finding.objects.all(), ids), query_text, labels)


@pytest.fixture
def archive():
    """Two authorities' inspections with graded areas, themes and a spread of finding kinds."""
    leeds = Authority.objects.get(slug="leeds")
    rutland = Authority.objects.get(slug="rutland")
    supervision = ThemeFactory(slug="supervision", name="Supervision")
    care_leavers = ThemeFactory(slug="care-leavers", name="Care leavers")
    leeds_2022 = InspectionFactory(authority=leeds, kind="ilacs", start_date=datetime.date(2022, 3, 7),
                                   end_date=datetime.date(2022, 3, 18))  # fmt: skip
    JudgementFactory(inspection=leeds_2022, area="overall_effectiveness", grade="outstanding")
    JudgementFactory(inspection=leeds_2022, area="care_leavers", grade="requires_improvement")
    rutland_2011 = InspectionFactory(authority=rutland, kind="cra_unannounced", start_date=datetime.date(2011, 5, 10),
                                     end_date=datetime.date(2011, 5, 11))  # fmt: skip
    findings = {
        "reflective": FindingFactory(
            inspection=leeds_2022, order=1, area=None, kind="narrative",
            text="Social workers receive regular reflective supervision from their managers.",
        ),
        "supervised": FindingFactory(
            inspection=leeds_2022, order=2, area="care_leavers", kind="area_for_improvement",
            text="Personal advisers are not supervised often enough, so care leavers' pathway plans drift.",
        ),
        "leavers": FindingFactory(
            inspection=leeds_2022, order=3, area="care_leavers", kind="narrative",
            text="Care leavers live in suitable accommodation, and most care leavers are in education or work.",
        ),
        "letter": FindingFactory(
            inspection=rutland_2011, order=1, area=None, kind="meets_requirements",
            text="Supervision is regular and recorded, and managers' decisions are clear on case files.",
        ),
    }  # fmt: skip
    FindingTheme.objects.create(finding=findings["reflective"], theme=supervision, matched="supervision")
    FindingTheme.objects.create(finding=findings["supervised"], theme=supervision, matched="supervised")
    FindingTheme.objects.create(finding=findings["supervised"], theme=care_leavers, matched="care leavers")
    FindingTheme.objects.create(finding=findings["leavers"], theme=care_leavers, matched="care leavers")
    FindingTheme.objects.create(finding=findings["letter"], theme=supervision, matched="supervision")
    return findings


def search(query: str = "", **filters) -> list[str]:
    data = QueryDict(mutable=True)
    if query:
        data["q"] = query
    for name, values in filters.items():
        data.setlist(name, values if isinstance(values, list) else [values])
    filterset = FindingFilterSet(data)
    return list(Finding.objects.search(filterset, "relevance").values_list("text", flat=True))


def keys(archive, texts):
    names = {finding.text: name for name, finding in archive.items()}
    return {names[text] for text in texts}


def test_search_matches_stemmed_words(archive):
    assert keys(archive, search("supervise")) == {"reflective", "supervised", "letter"}


def test_search_phrase_or_and_exclusion(archive):
    assert keys(archive, search('"reflective supervision"')) == {"reflective"}
    assert keys(archive, search("accommodation OR reflective")) == {"reflective", "leavers"}
    assert keys(archive, search("supervision -managers")) == {"supervised"}


def test_ranking_puts_the_densest_match_first(archive):
    assert keys(archive, search("care leavers")[:1]) == {"leavers"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"authority": "leeds"}, {"reflective", "supervised", "leavers"}),
        ({"authority": ["leeds", "rutland"]}, {"reflective", "supervised", "leavers", "letter"}),
        ({"region": "east_midlands"}, {"letter"}),
        ({"inspection_kind": "cra_unannounced"}, {"letter"}),
        ({"date_from": "2015-01-01"}, {"reflective", "supervised", "leavers"}),
        ({"date_to": "2011-05-10"}, {"letter"}),
        ({"theme": "care-leavers"}, {"supervised", "leavers"}),
        ({"theme": ["care-leavers", "supervision"]}, {"reflective", "supervised", "leavers", "letter"}),
        ({"kind": "area_for_improvement"}, {"supervised"}),
        ({"kind": ["meets_requirements", "area_for_improvement"]}, {"supervised", "letter"}),
        # a finding's own area's grade, or the overall grade where it has no area
        ({"grade": "requires_improvement"}, {"supervised", "leavers"}),
        ({"grade": "outstanding"}, {"reflective"}),
        ({"authority": "leeds", "theme": "supervision", "kind": "narrative"}, {"reflective"}),
    ],
)
def test_each_filter_and_combinations(archive, filters, expected):
    assert keys(archive, search(**filters)) == expected


def test_bad_filter_values_are_ignored_and_reported(archive):
    data = QueryDict("region=atlantis&kind=area_for_improvement&date_from=yesterday&authority=nowhere")
    filterset = FindingFilterSet(data)
    assert set(filterset.errors) == {"region", "date_from", "authority"}
    assert keys(archive, Finding.objects.search(filterset, "newest").values_list("text", flat=True)) == {
        "supervised"
    }


def test_authorities_and_themes_chosen_by_slug_are_read_from_the_labels_of_this_version(archive):
    """Slugs are checked against the labels held for the archive's version, without a query of their
    own: a theme added since they were read is known at once (the write gave the archive a new
    version), a slug that is none is the filter's error as before, and the chosen come in the order
    given, with the names a queryset's .only() would have loaded."""
    assert FindingFilterSet(QueryDict("theme=supervision")).is_valid()  # the labels read and held
    ThemeFactory(slug="new-theme", name="A new theme")
    query = QueryDict("theme=new-theme&theme=supervision&authority=rutland&authority=leeds")
    FindingFilterSet(query).is_valid()  # this version's labels read
    filterset = FindingFilterSet(query)
    with reading_at(archive_version()), CaptureQueriesContext(connection) as queries:  # as a request reads
        assert filterset.is_valid()
    assert queries.captured_queries == []
    chosen = filterset.form.cleaned_data
    assert [(theme.slug, theme.name) for theme in chosen["theme"]] == [
        ("new-theme", "A new theme"),
        ("supervision", "Supervision"),
    ]
    assert [(authority.slug, str(authority)) for authority in chosen["authority"]] == [
        ("rutland", "Rutland"),
        ("leeds", "Leeds"),
    ]
    assert set(FindingFilterSet(QueryDict("theme=new-theme&authority=nowhere")).errors) == {"authority"}


def test_authorities_sharing_a_short_name_are_shown_by_their_full_names(client, archive):
    """North Yorkshire County Council (until 2023) and North Yorkshire Council are both "North
    Yorkshire": the filters, a chosen one's tag and the findings name each in full; the rest keep
    their short names."""
    for slug in ["north-yorkshire-county", "north-yorkshire"]:
        FindingFactory(inspection=InspectionFactory(authority=Authority.objects.get(slug=slug)))
    page = client.get(reverse("finding-search"), {"authority": "north-yorkshire"}).content.decode()
    labels = dict(re.findall(r'<label for="f-authority-([a-z-]+)">([^<]+) <span class="count">', page))
    assert labels["north-yorkshire"] == "North Yorkshire Council"
    assert labels["north-yorkshire-county"] == "North Yorkshire County Council"
    assert labels["leeds"] == "Leeds"
    assert "Authority: North Yorkshire Council" in re.sub(r"<[^>]+>", "", page)
    assert re.search(r'<p class="finding-meta">\s*<a href="[^"]+">North Yorkshire Council, ', page)


def test_facets_count_each_option_within_the_other_filters(archive):
    facets = {
        facet.name: facet
        for facet in finding_facets(FindingFilterSet(QueryDict("q=supervision&kind=narrative")))
    }
    kinds = {option.value: (option.count, option.selected) for option in facets["kind"].options}
    # the finding-type facet ignores its own selection: it shows what ticking another kind would add
    assert kinds == {
        "improvement": (1, False),  # all improvement points: here the one area for improvement
        "narrative": (1, True),
        "area_for_improvement": (1, False),
        "meets_requirements": (1, False),
    }
    authorities = {option.value: option.count for option in facets["authority"].options}
    assert authorities == {"leeds": 1}
    assert {option.value: option.count for option in facets["theme"].options} == {"supervision": 1}


def test_highlighting_marks_matches_and_escapes_the_text(archive):
    finding = archive["reflective"]
    finding.text = "Managers <script>alert(1)</script> give reflective supervision."
    finding.save()
    [marked] = page_findings([finding.pk], "supervision")
    assert "<mark>supervision</mark>" in marked.snippet
    assert "<script>" not in marked.snippet and "&lt;script&gt;" in marked.snippet


def test_search_page_shows_count_tags_and_highlights(client, archive):
    response = client.get(reverse("finding-search"), {"q": "supervision", "authority": "leeds"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-live="polite">2 findings for “supervision”' in html
    assert "<mark>supervision</mark>" in html or "<mark>supervised</mark>" in html
    assert "Remove filter </span>Authority: Leeds" in html
    assert "?q=supervision" in html  # the tag removing Leeds keeps the query


@pytest.mark.parametrize(
    "query",
    ["", "the", "!!!", "'", '"unclosed', "a" * 500, "<script>", "-", "OR", "supervision & | ! :*", "日本語"],
)
def test_silly_queries_give_a_helpful_page_never_an_error(client, archive, query):
    response = client.get(reverse("finding-search"), {"q": query, "page": "-3"})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main", 1)[1]


def test_search_page_query_count_is_constant(client, archive, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get(reverse("finding-search"), {"q": "supervision"})
    for order in range(10, 40):
        FindingFactory(
            inspection=archive["letter"].inspection, order=order, text=f"Supervision note {order}."
        )
    with django_assert_max_num_queries(12):
        client.get(reverse("finding-search"), {"q": "supervision", "theme": ["supervision", "care-leavers"]})


def test_csv_export_streams_every_row_in_fixed_columns(client, archive):
    response = client.get(reverse("finding-csv"), {"theme": "supervision"})
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbffinding_id,")  # a byte-order mark, for Excel on Windows
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["finding_id", "authority", "authority_slug", "gss_code"]
    assert rows[0][-2:] == ["text", "url"]
    assert len(rows) == 1 + 3
    leeds_row = next(row for row in rows[1:] if row[2] == "leeds" and row[9] == "Area for improvement")
    assert rows[0][15:18] == ["page", "paragraph", "themes"]
    assert leeds_row[18] == "care-leavers; supervision"
    assert leeds_row[-1].endswith(f"/inspections/{archive['supervised'].inspection_id}/#finding-2")


def test_csv_keeps_en_dashes_and_pounds_through_the_byte_order_mark(client, db):
    FindingFactory(text="Spending – £2.4 million – on placements.")
    body = b"".join(client.get(reverse("finding-csv")).streaming_content)
    assert body.count(b"\xef\xbb\xbf") == 1
    assert "Spending – £2.4 million – on placements." in body.decode("utf-8-sig")


@pytest.mark.parametrize(
    ("params", "filename"),
    [
        ({}, "findings-2026-12-04.csv"),
        ({"q": "supervision", "authority": "leeds"}, "findings-supervision-leeds-2026-12-04.csv"),
        (
            {"q": '"pathway plans" -drift', "theme": ["supervision", "care-leavers"], "region": "north_east"},
            "findings-pathway-plans-drift-north-east-supervision-care-leavers-2026-12-04.csv",
        ),
        (
            {"date_from": "2020-01-01", "kind": "area_for_improvement", "grade": "requires_improvement"},
            "findings-from-2020-01-01-area-for-improvement-requires-improvement-2026-12-04.csv",
        ),
        # a filter given a bad value is ignored, in the name as in the rows
        ({"authority": "atlantis", "inspection_kind": "ilacs"}, "findings-ilacs-2026-12-04.csv"),
        ({"q": "   "}, "findings-2026-12-04.csv"),
    ],
)
def test_csv_file_name_says_what_was_filtered_and_when(client, archive, params, filename):
    with mock.patch("django.utils.timezone.localdate", return_value=datetime.date(2026, 12, 4)):
        response = client.get(reverse("finding-csv"), params)
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_csv_file_name_is_bounded_and_cut_between_words(client, archive):
    query = "management oversight of supervision and the quality of plans for children in need " * 2
    with mock.patch("django.utils.timezone.localdate", return_value=datetime.date(2026, 12, 4)):
        response = client.get(reverse("finding-csv"), {"q": query, "authority": "leeds"})
    filename = re.fullmatch(r'attachment; filename="(.+)"', response["Content-Disposition"])[1]
    described = filename.removeprefix("findings-").removesuffix("-2026-12-04.csv")
    assert described == "management-oversight-of-supervision-and-the-quality-of-plans"
    assert len(described) <= 60
    long_word = client.get(reverse("finding-csv"), {"q": "x" * 150})
    assert re.fullmatch(
        r'attachment; filename="findings-x{60}-\d{4}-\d\d-\d\d\.csv"', long_word["Content-Disposition"]
    )


def test_json_api_uses_the_same_filters_and_paginates(client, archive):
    response = client.get(reverse("api-findings"), {"q": "supervision", "page_size": 2})
    body = json.loads(response.content)
    assert body["count"] == 3 and body["pages"] == 2 and len(body["results"]) == 2
    assert body["next"].endswith("page=2") or "page=2" in body["next"]
    second = json.loads(client.get(body["next"]).content)
    assert len(second["results"]) == 1 and second["previous"]
    filtered = json.loads(client.get(reverse("api-findings"), {"kind": "meets_requirements"}).content)
    assert [result["authority"]["slug"] for result in filtered["results"]] == ["rutland"]


@pytest.mark.parametrize(
    "name", ["home", "authority-list", "theme-list", "api-authorities", "api-inspections"]
)
def test_list_pages_load_with_few_queries(client, archive, name, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert client.get(reverse(name)).status_code == 200


def test_authority_and_inspection_pages(client, archive, django_assert_max_num_queries):
    inspection = archive["reflective"].inspection
    with django_assert_max_num_queries(11):  # one of them the archive's version, for the page cache
        page = client.get(reverse("authority-detail", args=["leeds"])).content.decode()
    assert "Leeds City Council" in page and "Statistical neighbours" in page and 'class="grade grade-' in page
    with django_assert_max_num_queries(10):
        page = client.get(reverse("inspection-detail", args=[inspection.pk])).content.decode()
    assert 'id="finding-1"' in page and "Requires improvement to be good" in page
    assert client.get(reverse("authority-detail", args=["atlantis"])).status_code == 404


@pytest.fixture
def improvement_points():
    """One improvement point of each generation's name, with a strength and a narrative finding."""
    leeds = Authority.objects.get(slug="leeds")
    ilacs = InspectionFactory(
        authority=leeds,
        kind="ilacs",
        start_date=datetime.date(2023, 1, 9),
        end_date=datetime.date(2023, 1, 20),
    )
    sif = InspectionFactory(
        authority=leeds, kind="sif", start_date=datetime.date(2016, 1, 11), end_date=datetime.date(2016, 2, 4)
    )
    return {
        "ilacs": FindingFactory(
            inspection=ilacs,
            order=1,
            kind="area_for_improvement",
            text="Care leavers need better help to find homes.",
        ),
        "priority": FindingFactory(
            inspection=ilacs, order=2, kind="priority_action", text="Care leavers must be visited promptly."
        ),
        "strength": FindingFactory(
            inspection=ilacs,
            order=3,
            kind="strength",
            text="Care leavers are well supported by personal advisers.",
        ),
        "sif": FindingFactory(
            inspection=sif,
            order=1,
            kind="recommendation",
            text="Ensure that care leavers have pathway plans.",
        ),
    }


def test_all_improvement_points_choose_every_generations_name_for_them(client, improvement_points):
    filterset = FindingFilterSet(QueryDict("q=care+leavers&kind=improvement&date_from=2020-01-01"))
    assert set(filterset.qs) == {improvement_points["ilacs"], improvement_points["priority"]}
    filterset = FindingFilterSet(QueryDict("q=care+leavers&kind=improvement"))
    assert set(filterset.qs) == {improvement_points[name] for name in ("ilacs", "priority", "sif")}
    # with another kind ticked too, either
    filterset = FindingFilterSet(QueryDict("q=care+leavers&kind=improvement&kind=strength"))
    assert len(filterset.qs) == 4


def test_all_improvement_points_come_first_in_the_facet_with_the_sum_of_its_kinds(improvement_points):
    facets = {facet.name: facet for facet in finding_facets(FindingFilterSet(QueryDict("q=care+leavers")))}
    kinds = [(option.value, option.count, option.selected) for option in facets["kind"].options]
    assert kinds[0] == ("improvement", 3, False)
    assert dict((value, count) for value, count, _ in kinds)["recommendation"] == 1
    chosen = finding_facets(FindingFilterSet(QueryDict("q=care+leavers&kind=improvement")))
    kind_facet = next(facet for facet in chosen if facet.name == "kind")
    assert (kind_facet.options[0].value, kind_facet.options[0].selected) == ("improvement", True)
    assert next(f for f in chosen if f.name == "authority").options[0].count == 3


def test_all_improvement_points_in_the_page_exports_and_api(client, improvement_points):
    params = {"q": "care leavers", "kind": "improvement"}
    page = client.get(reverse("finding-search"), params).content.decode()
    assert "3 findings" in page
    assert "All improvement points" in page and "What do these mean?" in page
    assert "Remove filter </span>Finding type: All improvement points" in page
    assert 'aria-describedby="grade-hint"' in page
    body = b"".join(client.get(reverse("finding-csv"), params).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 4
    body = json.loads(client.get(reverse("api-findings"), params).content)
    assert body["count"] == 3
    assert {result["kind"] for result in body["results"]} == {
        "area_for_improvement",
        "priority_action",
        "recommendation",
    }


def test_a_misspelt_word_is_offered_the_closest_word_the_findings_use(client, archive):
    page = client.get(reverse("finding-search"), {"q": "reflective supervison", "kind": "narrative"})
    html = page.content.decode()
    assert page.context["suggestion"] == "reflective supervision"
    assert "Did you mean" in html
    url = page.context["suggestion_url"]
    assert url.startswith(reverse("finding-search") + "?")
    assert QueryDict(url.split("?", 1)[1]) == QueryDict("q=reflective+supervision&kind=narrative")
    assert client.get(url).context["search"].count == 1


def test_a_suggestion_keeps_the_query_s_form_and_leaves_excluded_words_alone(archive):
    assert selectors.suggest_spelling('"Supervison" -xqzvbn OR leavers') == '"supervision" -xqzvbn OR leavers'


def test_a_word_with_no_close_match_gets_no_suggestion(client, archive):
    page = client.get(reverse("finding-search"), {"q": "xqzvbn"})
    assert page.context["search"].count == 0
    assert page.context["suggestion"] is None
    assert "Did you mean" not in page.content.decode()
    assert "No findings match" in page.content.decode()


def test_words_of_deleted_findings_are_not_suggested(archive):
    archive["reflective"].delete()
    archive["supervised"].delete()
    assert SearchWord.objects.filter(word="reflective").exists()  # kept, but no longer suggested
    assert selectors.suggest_spelling("reflectiv") is None


def test_new_findings_add_their_words(archive):
    inspection = archive["reflective"].inspection
    FindingFactory(inspection=inspection, order=9, kind="narrative", text="Chronologies were incomplete.")
    assert SearchWord.objects.filter(word__in=["chronologies", "incomplete"]).count() == 2
    assert selectors.suggest_spelling("chronologys") == "chronologies"


def test_a_query_of_common_words_alone_is_explained(client, archive):
    page = client.get(reverse("finding-search"), {"q": "the and"})
    html = page.content.decode()
    assert page.context["no_words"] is True
    assert "very common words such as “the” or “and” are not searched" in html
    assert "Did you mean" not in html


def test_dates_the_wrong_way_round_are_swapped_and_the_page_says_so(client, archive):
    params = {"date_from": "2023-01-01", "date_to": "2011-01-01"}
    page = client.get(reverse("finding-search"), params)
    html = page.content.decode()
    assert page.context["dates_swapped"]
    assert "The “from” date was after the “to” date" in html
    assert "from 1 January 2011 to 1 January 2023" in html
    assert page.context["search"].count == len(archive)
    body = json.loads(client.get(reverse("api-findings"), params).content)
    assert body["count"] == len(archive)
    in_order = client.get(reverse("finding-search"), {"date_from": "2011-01-01", "date_to": "2023-01-01"})
    assert not in_order.context["dates_swapped"]
    assert "The “from” date" not in in_order.content.decode()


def test_the_suggestion_is_the_similar_word_fewest_edits_away(archive):
    inspection = archive["reflective"].inspection
    FindingFactory(inspection=inspection, order=10, kind="narrative", text="Managers protect children well.")
    FindingFactory(
        inspection=inspection, order=11, kind="narrative", text="Child protection plans are clear."
    )
    assert selectors.suggest_spelling("protecton") == "protection"  # one edit; "protect" is two
    assert selectors.edit_distance("protecton", "protect") == 2
