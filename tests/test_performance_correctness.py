"""The fast paths give exactly what straightforward ORM queries give, on a small archive.

The search page counts, facets and pages in one pass over the findings' own columns (copies of their
inspection, grade and themes kept by database triggers), caches counts without a text query, and the
CSV export and authority page read the same copies; searches without text or dates count from
tallies of them (FindingTally), and authorities carry copies of their latest grade. Here each is
checked against the plain joins the archive was first written with, and the copies and tallies
against their sources after every kind of write.
"""

import collections
import csv
import datetime
import functools
import io
import operator
import random

import pytest
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Mod
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections.choices import IMPROVEMENT_KINDS, FindingKind, Grade, InspectionKind, JudgementArea
from inspections.filters import FindingFilterSet
from inspections.models import Authority, Finding, FindingTally, FindingTheme, Inspection, Judgement, Theme
from inspections.perf.benchmark import clear_caches
from inspections.search import (
    FACETS,
    SAMPLE_EVERY,
    archive_version,
    estimate,
    ordered_ids,
    phrase_word_pairs,
    required_phrases,
    text_condition,
)
from inspections.search.engine import matched_statement
from inspections.search.ordering import rank
from inspections.selectors import authority_theme_counts
from inspections.services import inspection_reparse, report_ingest
from inspections.storage import date_order
from inspections.themes import tag_findings

from .conftest import SEEDS
from .factories import FindingFactory, InspectionFactory, JudgementFactory

pytestmark = pytest.mark.django_db


SENTENCES = [
    "Social workers receive regular reflective supervision from their managers.",
    "Personal advisers are not supervised often enough, so care leavers' plans drift.",
    "Care leavers live in suitable accommodation and most are in education or work.",
    "Assessments are timely and consider the child's history and lived experience.",
    "Management oversight of decisions at the front door is not consistently recorded.",
    "Children at risk of exploitation are identified quickly and protected.",
    "Neglect is recognised late, and managers do not always challenge drift.",
    "Strategy meetings are held promptly when children are at risk of significant harm.",
    "Return home interviews for children who go missing are not always completed.",
    "Homophobic bullying is challenged by leaders and schools.",
]
AUTHORITIES = ["leeds", "rutland", "cornwall", "birmingham", "leicestershire"]
AREAS = [None, "help_and_protection", "care_leavers", "in_care", "overall_effectiveness"]


@pytest.fixture
def archive():
    """About 250 findings over 16 inspections of five authorities, graded, tagged and dated apart."""
    rng = random.Random(7)
    themes = [
        Theme.objects.create(slug=slug, name=name, description=name)
        for slug, name in [("supervision", "Supervision"), ("care-leavers", "Care leavers"),
                           ("neglect", "Neglect"), ("multi-agency", "Multi-agency")]
    ]  # fmt: skip
    kinds = list(InspectionKind.values[:6])
    for number in range(16):
        start = datetime.date(2010 + number % 14, 1 + number % 12, 3)
        inspection = InspectionFactory(
            authority=Authority.objects.get(slug=AUTHORITIES[number % 5]),
            kind=kinds[number % len(kinds)],
            start_date=start,
            end_date=start + datetime.timedelta(days=4),
        )
        for area in rng.sample(
            ["overall_effectiveness", "help_and_protection", "care_leavers"], k=number % 4
        ):
            JudgementFactory(inspection=inspection, area=area, grade=rng.choice(Grade.values))
        findings = [
            Finding(
                inspection=inspection,
                order=order,
                kind=rng.choice(FindingKind.values),
                area=rng.choice(AREAS),
                section=rng.choice(["Leadership", "Children in care", ""]),
                text=" ".join(rng.sample(SENTENCES, k=rng.randint(1, 3))),
            )
            for order in range(1, rng.randint(8, 24))
        ]
        Finding.objects.bulk_create(findings)
    tags = [
        FindingTheme(finding=finding, theme=theme, matched=theme.slug)
        for finding in Finding.objects.all()
        for theme in themes
        if rng.random() < 0.3
    ]
    FindingTheme.objects.bulk_create(tags)
    clear_caches()
    return themes


# Straightforward ORM: the joins the archive was first written with --------------------------------


def overall(field="area"):
    return Coalesce(OuterRef(field), Value(JudgementArea.OVERALL_EFFECTIVENESS.value))


def plain(params: dict, skip: str = ""):
    findings = Finding.objects.all()
    if params.get("q"):
        findings = findings.filter(
            search_vector=SearchQuery(params["q"], search_type="websearch", config="english")
        )
    lookups = {
        "authority": "inspection__authority__slug__in",
        "region": "inspection__authority__region__in",
        "inspection_kind": "inspection__kind__in",
        "kind": "kind__in",
    }
    for name, lookup in lookups.items():
        if params.get(name) and name != skip:
            findings = findings.filter(**{lookup: params[name]})
    if params.get("date_from"):
        findings = findings.filter(inspection__date__gte=params["date_from"])
    if params.get("date_to"):
        findings = findings.filter(inspection__date__lte=params["date_to"])
    if params.get("theme") and skip != "theme":
        tagged = FindingTheme.objects.filter(finding=OuterRef("pk"), theme__slug__in=params["theme"])
        findings = findings.filter(Exists(tagged))
    if params.get("grade") and skip != "grade":
        graded = Judgement.objects.filter(
            inspection=OuterRef("inspection"), area=overall(), grade__in=params["grade"]
        )
        findings = findings.filter(Exists(graded))
    return findings


def plain_ordered(params: dict, sort: str) -> list[int]:
    findings = plain(params)
    if sort == "relevance":
        query = SearchQuery(params["q"], search_type="websearch", config="english")
        findings = findings.annotate(rank=SearchRank(F("search_vector"), query, cover_density=True))
        findings = findings.order_by("-rank", "-inspection__date", "inspection_id", "order")
    elif sort == "oldest":
        findings = findings.order_by("inspection__date", "inspection_id", "order")
    else:
        findings = findings.order_by("-inspection__date", "-inspection_id", "order")
    return list(findings.values_list("pk", flat=True))


def in_sample(findings):
    """The findings of the sample that broad searches estimate from: ids that are multiples of it."""
    return findings.annotate(bucket=Mod("id", SAMPLE_EVERY)).filter(bucket=0)


def plain_facets(params: dict, sample: bool = False) -> dict[str, dict[str, int]]:
    def grouped(queryset, column):
        if sample and queryset.model is Finding:
            queryset = in_sample(queryset)
        elif sample:  # the themes of the findings in the sample
            queryset = queryset.annotate(bucket=Mod("finding_id", SAMPLE_EVERY)).filter(bucket=0)
        rows = queryset.order_by().values_list(column).annotate(n=Count("pk"))
        return {value: n for value, n in rows if value is not None}

    grade_of = Subquery(
        Judgement.objects.filter(inspection=OuterRef("inspection"), area=overall()).values("grade")[:1]
    )
    kinds = grouped(plain(params, "kind"), "kind")
    improvement = sum(n for kind, n in kinds.items() if kind in IMPROVEMENT_KINDS)  # one kind a finding
    return {
        "authority": grouped(plain(params, "authority"), "inspection__authority__slug"),
        "region": grouped(plain(params, "region"), "inspection__authority__region"),
        "inspection_kind": grouped(plain(params, "inspection_kind"), "inspection__kind"),
        "theme": grouped(FindingTheme.objects.filter(finding__in=plain(params, "theme")), "theme__slug"),
        "kind": ({"improvement": improvement} if improvement else {}) | kinds,
        "grade": grouped(plain(params, "grade").annotate(effective=grade_of), "effective"),
    }


def query_dict(params: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in params.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


# The search page's one pass, and browsing --------------------------------------------------------

QUERIES = [None, "supervision", "care leavers", '"reflective supervision"', "neglect OR exploitation",
           "supervision -managers", "homophobic", "nothing-matches-this", '"care leavers" -"personal advisers"',
           '"children who go missing" interviews', '"management oversight" OR "strategy meetings"']  # fmt: skip
FILTERS = [
    {},
    {"authority": ["leeds"]},
    {"authority": ["leeds", "rutland"], "kind": ["narrative", "strength"]},
    {"region": ["yorkshire_and_the_humber", "south_west"]},
    {"inspection_kind": ["sif", "ilacs"]},
    {"date_from": "2014-01-01", "date_to": "2019-12-31"},
    {"theme": ["supervision"]},
    {"theme": ["care-leavers", "neglect"], "grade": ["good", "inadequate"]},
    {"kind": ["area_for_improvement"]},
    {"grade": ["requires_improvement"]},
    {"authority": ["cornwall"], "region": ["south_west"], "theme": ["multi-agency"], "grade": ["good"],
     "inspection_kind": ["cra_unannounced", "slac", "sif"], "kind": ["narrative"]},
]  # fmt: skip


@pytest.mark.parametrize("filters", FILTERS, ids=lambda filters: "&".join(filters) or "no filters")
def test_count_facets_and_every_page_match_plain_queries(archive, filters):
    for query in QUERIES:
        params = {**filters, **({"q": query} if query else {})}
        expected_facets = plain_facets(params)
        for sort in ["relevance", "newest", "oldest"] if query else ["newest", "oldest"]:
            expected = plain_ordered(params, sort)
            pages = max(1, -(-len(expected) // 5))
            for number in sorted({1, 2, pages // 2, pages, pages + 3} - {0}):  # past the end: the last
                filterset = FindingFilterSet(query_dict(params))
                search = Finding.objects.search_page(filterset, sort, str(number), per_page=5, orphans=1)
                assert search.count == len(expected), (params, sort)
                bottom = (search.page.number - 1) * 5
                got = [finding.pk for finding in search.page.object_list]
                assert got == expected[bottom : bottom + len(got)], (params, sort, number)
            assert search.page.end_index() == len(expected)  # the last page ends with the last finding
            facets = {f.name: {o.value: o.count for o in f.options if o.count} for f in search.facets}
            assert facets == expected_facets, params


def tallied(params: dict) -> bool:
    """Whether a search's counts come from the tallies kept of every combination of facet values
    (FindingTally): no text, no dates, at most one theme."""
    return not ({"q", "date_from", "date_to"} & set(params)) and len(params.get("theme", [])) <= 1


def facets_read(params: dict):
    """What a search's facet counts read: the findings that at most one facet filter turns away."""
    facet_filters = [name for name in FACETS if params.get(name)]
    return functools.reduce(
        operator.or_, [plain(params, skip=name) for name in facet_filters] or [plain(params)]
    )


@pytest.mark.parametrize("filters", FILTERS, ids=lambda filters: "&".join(filters) or "no filters")
def test_broad_searches_estimate_counts_from_the_sample_and_page_exactly(archive, filters, settings):
    settings.ARCHIVE_EXACT_COUNTS_UP_TO = 0  # every search that the sample finds at all is "broad"
    for query in QUERIES:
        params = {**filters, **({"q": query} if query else {})}
        sampled = in_sample(plain(params)).count()
        search = Finding.objects.search_page(
            FindingFilterSet(query_dict(params)), None, "1", per_page=5, orphans=1
        )
        if tallied(params):  # counted from the tallies: exact at any size
            assert not search.approximate and not search.facets_approximate, params
            assert search.sort == "newest" and search.count == len(plain(params)), params
            facets = {f.name: {o.value: o.count for o in f.options if o.count} for f in search.facets}
            assert facets == plain_facets(params), params
            continue
        if not in_sample(facets_read(params)).exists():  # none in the sample: exact, relevance first as ever
            assert not search.approximate, params
            assert search.sort == ("relevance" if query else "newest")
            assert search.count == len(plain_ordered(params, search.sort)), params
            continue
        assert search.facets_approximate, params
        expected = plain_ordered(params, "newest")
        # the page reads one more than it can show (5 and an orphan), so it knows whether it is the last
        if len(expected) <= 6:  # the first page holds them all: exact
            assert (search.approximate, search.count) == (False, len(expected)), params
        else:  # an estimate, but never fewer than the page has seen
            assert search.approximate, params
            assert search.count == max(estimate(sampled * SAMPLE_EVERY), 7), params
        facets = {f.name: {o.value: o.count for o in f.options if o.count} for f in search.facets}
        expected_facets = {
            name: {value: estimate(n * SAMPLE_EVERY) for value, n in counts.items()}
            for name, counts in plain_facets(params, sample=True).items()
        }
        assert facets == expected_facets, params
        # whatever the page shows can be chosen, counted or not
        shown = {f.inspection.authority.slug for f in search.page.object_list}
        assert shown <= {o.value for f in search.facets if f.name == "authority" for o in f.options}
        # the page is exact: newest first by default, and every match ranked when relevance is chosen
        assert search.sort == "newest"
        got = [f.pk for f in search.page.object_list]
        assert got == expected[: len(got)] and len(got) >= min(5, len(expected)), params
        for sort in ["relevance", "oldest"] if query else ["oldest"]:
            chosen = Finding.objects.search_page(
                FindingFilterSet(query_dict(params)), sort, "2", per_page=5, orphans=1
            )
            assert chosen.sort == sort and chosen.facets_approximate, params
            expected = plain_ordered(params, sort)
            start = (chosen.page.number - 1) * 5
            got = [f.pk for f in chosen.page.object_list]
            assert got == expected[start : start + len(got)], (params, sort)
            assert len(got) >= min(5, len(expected) - start), (params, sort)


@pytest.mark.parametrize("filters", FILTERS, ids=lambda filters: "&".join(filters) or "no filters")
def test_the_api_estimates_broad_searches_as_the_page_does_and_pages_exactly(
    client, archive, filters, settings
):
    settings.ARCHIVE_EXACT_COUNTS_UP_TO = 0  # every search that the sample finds at all is "broad"
    for query in QUERIES:
        params = {**filters, **({"q": query} if query else {})}
        sampled = in_sample(plain(params)).count()
        body = client.get(reverse("api-findings"), {**params, "page_size": 5}).json()
        ids = [result["id"] for result in body["results"]]
        if tallied(params):  # counted from the tallies, as on the page: exact at any size
            expected = plain_ordered(params, "newest")
            assert (body["count_estimated"], body["count"]) == (False, len(expected)), params
            assert ids == expected[:5], params
            continue
        # what the page's facets would read decides, as on the page, not the matches alone
        if not in_sample(facets_read(params)).exists():  # none in the sample: exact, relevance first
            expected = plain_ordered(params, "relevance" if query else "newest")
            assert (body["count_estimated"], body["count"]) == (False, len(expected)), params
            assert ids == expected[:5], params
            continue
        expected = plain_ordered(params, "newest")  # estimated: the newest first, as on the page
        assert ids == expected[:5], params
        if len(expected) <= 5:  # the first page holds them all: exact
            assert (body["count_estimated"], body["count"]) == (False, len(expected)), params
        else:
            assert body["count_estimated"], params
            assert body["count"] == max(estimate(sampled * SAMPLE_EVERY), 6), params
        if query:  # relevance when asked for: every match ranked, page 2 exact
            chosen = client.get(
                reverse("api-findings"), {**params, "page_size": 5, "page": 2, "sort": "relevance"}
            ).json()
            ranked = plain_ordered(params, "relevance")
            start = (chosen["page"] - 1) * 5
            assert [result["id"] for result in chosen["results"]] == ranked[start : start + 5], params


def test_the_api_answers_the_same_whether_or_not_the_page_was_asked_first(client, archive, settings):
    """The API decides exact or estimated by what the page's counts would read, as the page does, so
    a page asked first (whose tallies the API reuses from the cache) changes nothing in its answer:
    not the count, its being estimated, the order nor the findings. The limit is set so that some
    searches match few findings while their facets would read many: those the API once counted
    exactly and ranked, unless the page had been asked first."""
    settings.ARCHIVE_EXACT_COUNTS_UP_TO = 2 * SAMPLE_EVERY  # at most 2 of the sample's findings read
    few_matches_many_read = 0
    for filters in FILTERS:
        for query in QUERIES:
            params = {**filters, **({"q": query} if query else {})}
            few_matches_many_read += (
                in_sample(plain(params)).count() <= 2 < in_sample(facets_read(params)).count()
            )
            asked = {**params, "page_size": 5}
            clear_caches()
            alone = client.get(reverse("api-findings"), asked).json()
            clear_caches()
            page = client.get(reverse("finding-search"), params)
            assert page.status_code == 200
            assert client.get(reverse("api-findings"), asked).json() == alone, params
    assert few_matches_many_read >= 5  # the case the test is for occurs


@pytest.mark.parametrize("filters", FILTERS, ids=lambda filters: "&".join(filters) or "no filters")
def test_pages_read_by_date_either_way_match_plain_queries(archive, filters):
    """An estimated search's page by date, from the date index walked or from every match read and
    sorted (the search chooses by what the sample says): the same findings either way."""
    for query in QUERIES:
        params = {**filters, **({"q": query} if query else {})}
        conditions = FindingFilterSet(query_dict(params)).conditions()
        for sort in ["newest", "oldest"]:
            expected = plain_ordered(params, sort)
            for start in [0, 3, 17, len(expected) - 2]:
                start = max(start, 0)
                for read_all in [False, True]:
                    got = ordered_ids(
                        Finding.objects.all(), conditions, query or "", sort, start, 6, read_all=read_all
                    )
                    assert got == expected[start : start + 6], (params, sort, start, read_all)


@pytest.mark.parametrize("filters", FILTERS, ids=lambda filters: "&".join(filters) or "no filters")
def test_the_matches_statement_built_from_its_where_clause_is_the_orms(archive, filters):
    """count_and_page and ordered_ids build their statement of the matches from the ORM's WHERE
    clause and rank alone: the same rows and ranks as the queryset annotated and read as values."""
    for query in QUERIES:
        params = {**filters, **({"q": query} if query else {})}
        conditions = list(FindingFilterSet(query_dict(params)).conditions().values())
        columns = ["id", "inspection_date", "inspection_id", "order"]
        expected = Finding.objects.filter(*conditions)
        if query:
            expected = expected.annotate(rank=rank(query))
            columns.append("rank")
        sql, sql_params = matched_statement(Finding.objects.all(), conditions, query or "")
        with connection.cursor() as cursor:
            cursor.execute(sql, sql_params)
            got = sorted(cursor.fetchall())
        assert got == sorted(expected.values_list(*columns)), params


def test_the_matches_statement_refuses_a_condition_on_another_table(archive):
    """Its FROM names the findings alone: a condition reaching through a join would be refused,
    not silently read from a table the statement never joined."""
    with pytest.raises(ValueError, match="own row"):
        matched_statement(Finding.objects.all(), [Q(inspection__title__icontains="leeds")], "")


def test_estimates_are_rounded_to_two_significant_figures():
    assert [estimate(n) for n in [0, 7, 99, 100, 149, 155, 1234, 37282, 1_007_936]] == [
        0, 7, 99, 100, 150, 160, 1200, 37000, 1_000_000
    ]  # fmt: skip


def test_the_page_says_when_its_counts_are_estimates(client, archive, settings):
    settings.ARCHIVE_EXACT_COUNTS_UP_TO = 0
    # one finding about supervision surely in the sample, whatever ids the archive was given
    FindingFactory(
        id=SAMPLE_EVERY * 10**9, inspection=Inspection.objects.first(), order=999, text=SENTENCES[0]
    )
    clear_caches()
    sampled = in_sample(plain({"q": "supervision"})).count()
    html = client.get(reverse("finding-search"), {"q": "supervision"}).content.decode()
    assert f"About {estimate(sampled * SAMPLE_EVERY):,} finding" in html
    assert f"from a sample of one finding in {SAMPLE_EVERY}" in html
    assert "listed newest first" in html and '<span class="visually-hidden">about </span>' in html
    settings.ARCHIVE_EXACT_COUNTS_UP_TO = 10_000
    clear_caches()
    html = client.get(reverse("finding-search"), {"q": "supervision"}).content.decode()
    assert f"{len(plain_ordered({'q': 'supervision'}, 'newest')):,} finding" in html
    assert "About " not in html and "estimates" not in html


@pytest.mark.parametrize("page", ["0", "-3", "abc", "", "99999", "99999999999999999999999999", None])
def test_out_of_range_pages_are_paged_as_the_paginator_does(archive, page):
    params = {"q": "supervision"}
    expected = plain_ordered(params, "relevance")
    search = Finding.objects.search_page(
        FindingFilterSet(query_dict(params)), "relevance", page, per_page=7, orphans=2
    )
    number = search.page.number
    assert number == (1 if page in ("abc", "", None) else search.page.paginator.num_pages)
    assert [f.pk for f in search.page.object_list] == expected[
        (number - 1) * 7 : (number - 1) * 7 + len(search.page.object_list)
    ]


def test_invalid_filter_values_are_ignored_like_the_results(archive):
    params = {
        "q": "supervision",
        "region": ["atlantis"],
        "kind": ["area_for_improvement"],
        "date_from": "nope",
    }
    search = Finding.objects.search_page(FindingFilterSet(query_dict(params)), "relevance", "1")
    # as before: a filter in error turns relevance off, while the text still filters
    expected = plain_ordered({"q": "supervision", "kind": ["area_for_improvement"]}, "newest")
    assert search.count == len(expected)
    assert [f.pk for f in search.page.object_list] == expected[:20]


def test_the_page_shows_the_one_pass_results(client, archive):
    response = client.get(
        reverse("finding-search"), {"q": "supervision", "authority": "leeds", "sort": "newest"}
    )
    page = response.context["page"]
    expected = plain_ordered({"q": "supervision", "authority": ["leeds"]}, "newest")
    assert page.paginator.count == len(expected)
    assert [finding.pk for finding in page.object_list] == expected[:20]
    assert all(finding.snippet for finding in page.object_list)


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_the_api_pages_through_what_plain_queries_give(client, archive, sort):
    params = {"q": "supervision", "theme": ["supervision", "neglect"]}
    expected = plain_ordered(params, sort)
    assert len(expected) > 7  # more than one page
    got = []
    for number in range(1, -(-len(expected) // 7) + 1):
        query = {**params, "sort": sort, "page": number, "page_size": 7}
        body = client.get(reverse("api-findings"), query).json()
        assert body["count"] == len(expected)
        for result in body["results"]:
            themes = FindingTheme.objects.filter(finding=result["id"]).values_list("theme__slug", flat=True)
            assert sorted(result["themes"]) == sorted(themes)
        got += [result["id"] for result in body["results"]]
    assert got == expected


# Cached counts without a text query ---------------------------------------------------------------


def test_browsing_counts_are_cached_until_the_archive_changes(archive):
    params = {"authority": ["leeds"]}
    first = Finding.objects.search_page(FindingFilterSet(query_dict(params)), "newest", "1")
    version = archive_version()
    inspection = Inspection.objects.filter(authority__slug="leeds").first()
    FindingFactory(inspection=inspection, order=500, kind="strength", text="A new strength in Leeds.")
    assert archive_version() != version
    second = Finding.objects.search_page(FindingFilterSet(query_dict(params)), "newest", "1")
    assert second.count == first.count + 1 == len(plain_ordered(params, "newest"))
    kinds = {o.value: o.count for f in second.facets if f.name == "kind" for o in f.options}
    assert kinds == plain_facets(params)["kind"]


def test_browsing_everything_is_the_archive_s_exact_count_after_every_write(client, archive, settings):
    """The archive's total is held with its labels, read again for each version of the archive: never
    an estimate, and never a count from before a write; its facets are the tallies', exact too."""
    settings.ARCHIVE_EXACT_COUNTS_UP_TO = 0  # every search the sample finds at all is estimated
    inspection = Inspection.objects.first()
    for added in range(2):
        if added:
            FindingFactory(inspection=inspection, order=600, kind="strength", text="One finding more.")
        search = Finding.objects.search_page(FindingFilterSet(query_dict({})), None, "1")
        assert (search.approximate, search.count) == (False, Finding.objects.count())
        assert not search.facets_approximate  # counted from the tallies, kept with every write
        facets = {f.name: {o.value: o.count for o in f.options if o.count} for f in search.facets}
        assert facets == plain_facets({})
        body = client.get(reverse("api-findings")).json()
        assert (body["count_estimated"], body["count"]) == (False, Finding.objects.count())


@pytest.mark.parametrize(
    "write",
    [
        lambda: Theme.objects.filter(slug="neglect").update(name="Neglect and drift"),
        lambda: Judgement.objects.filter(pk=Judgement.objects.first().pk).update(grade="outstanding"),
        lambda: Inspection.objects.filter(pk=Inspection.objects.first().pk).update(kind="jtai"),
        lambda: FindingTheme.objects.filter(pk=FindingTheme.objects.first().pk).delete(),
        lambda: Authority.objects.filter(slug="leeds").update(region="london"),
    ],
)
def test_every_write_to_the_archive_changes_its_version(archive, write):
    version = archive_version()
    write()
    assert archive_version() != version
    search = Finding.objects.search_page(FindingFilterSet(query_dict({})), "newest", "1")
    facets = {facet.name: {o.value: o.count for o in facet.options} for facet in search.facets}
    assert facets == plain_facets({})


# The copies on each finding and authority, and the tallies of findings, stay right ---------------


def assert_authority_grades_right():
    """Each authority's copies of its latest graded inspection are what the subqueries the pages
    were first written with give: its latest inspection with any judgement (undated last, then the
    latest added), that inspection's date and kind, and its overall effectiveness grade."""
    graded = Inspection.objects.filter(authority=OuterRef("pk"), judgements__isnull=False).distinct()
    latest = graded.order_by(F("date").desc(nulls_last=True), "-pk")
    expected = Authority.objects.annotate(
        latest_id=Subquery(latest.values("pk")[:1]),
        latest_date=Subquery(latest.values("date")[:1]),
        latest_kind=Subquery(latest.values("kind")[:1]),
        latest_grade=Subquery(
            Judgement.objects.filter(
                inspection=OuterRef("latest_id"), area=JudgementArea.OVERALL_EFFECTIVENESS
            ).values("grade")[:1]
        ),
    )
    assert {
        authority.pk: (
            authority.graded_inspection_id,
            authority.graded_date,
            authority.graded_kind,
            authority.graded_overall,
        )
        for authority in Authority.objects.all()
    } == {
        authority.pk: (
            authority.latest_id,
            authority.latest_date,
            authority.latest_kind,
            authority.latest_grade,
        )
        for authority in expected
    }


def assert_copies_right():
    """Each finding's copies are its sources' values, and the tallies count the findings by them;
    each authority's latest grade is its inspections' and judgements'."""
    assert_authority_grades_right()
    grade_of = Subquery(
        Judgement.objects.filter(inspection=OuterRef("inspection"), area=overall()).values("grade")[:1]
    )
    expected_tallies = collections.Counter()
    for finding in Finding.objects.annotate(expected_grade=grade_of).select_related("inspection"):
        tags = sorted(FindingTheme.objects.filter(finding=finding).values_list("theme_id", flat=True))
        assert (
            finding.authority_id,
            finding.inspection_kind,
            finding.inspection_date,
            finding.grade,
            finding.theme_ids,
        ) == (
            finding.inspection.authority_id,
            finding.inspection.kind,
            finding.inspection.date,
            finding.expected_grade,
            tags,
        ), finding.pk
        combination = (
            finding.inspection.authority_id,
            finding.inspection.kind,
            finding.kind,
            finding.expected_grade,
        )
        expected_tallies.update([(None, *combination), *((theme, *combination) for theme in tags)])
    tallies = FindingTally.objects.values_list(
        "theme", "authority", "inspection_kind", "kind", "grade", "findings"
    )
    assert {tuple(row[:5]): row[5] for row in tallies} == dict(expected_tallies)  # and no empty combination


def test_copies_are_set_on_insert(archive):
    assert_copies_right()


def test_copies_follow_edits_to_inspections_judgements_findings_and_tags(archive):
    inspection = Inspection.objects.filter(judgements__isnull=False).first()
    # as the admin saves an inspection: every field written, authority, kind and dates changed
    inspection.authority = Authority.objects.get(slug="rutland")
    inspection.kind = InspectionKind.JTAI
    inspection.start_date, inspection.end_date = datetime.date(2024, 2, 1), datetime.date(2024, 2, 3)
    inspection.save()
    judgement = inspection.judgements.first()
    judgement.grade = Grade.ADEQUATE if judgement.grade != Grade.ADEQUATE else Grade.GOOD
    judgement.save()
    Judgement.objects.create(inspection=inspection, area="in_care", grade=Grade.INADEQUATE)
    inspection.judgements.filter(area="overall_effectiveness").delete()
    Finding.objects.filter(inspection=inspection).update(area="in_care")
    finding = Finding.objects.filter(inspection=inspection).first()
    finding.area = None
    finding.theme_ids = [123456]  # a stale copy written by the ORM is put right
    finding.save()
    FindingTheme.objects.filter(finding__inspection=inspection).delete()
    FindingTheme.objects.create(finding=finding, theme=Theme.objects.get(slug="neglect"))
    FindingTheme.objects.filter(finding=finding).update(theme=Theme.objects.get(slug="supervision"))
    Inspection.objects.filter(pk=inspection.pk).update(
        start_date=None, published_date=datetime.date(2024, 3, 1)
    )
    assert_copies_right()
    Finding.objects.filter(pk=finding.pk).delete()
    Inspection.objects.exclude(pk=inspection.pk).first().delete()  # its findings and their tags with it
    Finding.objects.filter(kind=FindingKind.STRENGTH).update(kind=FindingKind.NARRATIVE)
    assert_copies_right()


def test_copies_follow_tagging_ingest_and_reparse(archive):
    Theme.objects.filter(slug="supervision").update(phrases="supervision\nsupervised")
    assert tag_findings().added
    inspection = report_ingest(
        data=(SEEDS / "rutland-2016-single-inspection.txt").read_bytes(), filename="rutland-2016.txt"
    )
    Judgement.objects.filter(inspection=inspection, area="overall_effectiveness").update(grade="outstanding")
    inspection_reparse(inspection=inspection)
    assert_copies_right()


# Phrases: found through the index of their word pairs --------------------------------------------


@pytest.mark.parametrize(
    "text, phrases",
    [
        ('"reflective supervision"', ["reflective supervision"]),
        ('"care leavers" plans -"personal advisers"', ["care leavers"]),
        ('supervision -"managers oversight" "front door"', ["front door"]),
        ('"care leavers" OR "children in care"', []),  # either phrase may be missing
        ('"care leavers" or neglect', []),
        ('"care leavers" "unclosed', ["care leavers"]),
        ("no phrase at all", []),
        ('"or" "in care"', ["or", "in care"]),  # an "or" inside quotes is a word of the phrase
    ],
)
def test_required_phrases_are_those_every_match_must_hold(text, phrases):
    assert required_phrases(text) == phrases


def test_a_phrase_is_looked_up_by_its_adjacent_word_pairs():
    assert phrase_word_pairs("reflective supervision") == ("reflect supervis",)
    # "who" is left out of the index, so "children" and "go" are not adjacent
    assert phrase_word_pairs("children who go missing") == ("go miss",)
    assert phrase_word_pairs("care") == ()
    # a quote mark or backslash in a word, as the query must quote it
    assert text_condition('"o\'brien\\s care"') is not None


def test_phrases_cut_from_real_reports_find_what_the_query_alone_finds():
    """Two to five words cut from the seed reports' findings, punctuation and all: the pairs narrow
    the findings, the query decides, and the findings are exactly those the query alone finds."""
    for path in sorted(SEEDS.glob("*.txt")):
        report_ingest(data=path.read_bytes(), filename=path.name)
    texts = list(Finding.objects.values_list("text", flat=True))
    rng, narrowed = random.Random(11), 0
    for _ in range(300):
        words = rng.choice(texts).replace('"', " ").split()
        size = rng.randint(2, 5)
        start = rng.randint(0, max(len(words) - size, 0))
        query = f'"{" ".join(words[start : start + size])}"'
        condition = text_condition(query)
        narrowed += "finding_word_pairs" in str(Finding.objects.filter(condition).query)
        by_query = Finding.objects.filter(
            search_vector=SearchQuery(query, search_type="websearch", config="english")
        )
        assert set(Finding.objects.filter(condition).values_list("pk", flat=True)) == set(
            by_query.values_list("pk", flat=True)
        ), query
    assert narrowed > 100  # most such phrases have a pair of adjacent indexed words


# The CSV export and the authority page ----------------------------------------------------------


def test_csv_export_matches_plain_joins(client, archive):
    params = {"theme": ["supervision", "neglect"], "date_from": "2012-01-01"}
    response = client.get(reverse("finding-csv"), params)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    expected = plain_ordered(params, "oldest")
    assert [int(row["finding_id"]) for row in rows] == expected
    for row in rows:
        finding = Finding.objects.select_related("inspection__authority").get(pk=int(row["finding_id"]))
        themes = finding.themes.order_by("slug")
        assert row["authority_slug"] == finding.inspection.authority.slug
        assert row["gss_code"] == finding.inspection.authority.gss_code
        assert row["inspection_type_slug"] == finding.inspection.kind
        assert row["inspection_date"] == finding.inspection.date.isoformat()
        assert row["inspection_title"] == finding.inspection.title
        assert row["theme_slugs"] == "; ".join(theme.slug for theme in themes)
        assert row["themes"] == "; ".join(theme.name for theme in themes)
        assert row["url"].endswith(f"/inspections/{finding.inspection_id}/#finding-{finding.order}")


def test_authority_theme_counts_match_plain_joins(archive):
    for authority in Authority.objects.filter(slug__in=AUTHORITIES):
        expected = (
            Theme.objects.filter(findings__inspection__authority=authority)
            .annotate(count=Count("findings"))
            .order_by("-count", "name")
        )
        got = authority_theme_counts(authority)
        assert [(t.slug, t.count) for t in got] == [(t.slug, t.count) for t in expected]


# The synthetic archive -----------------------------------------------------------------------------


# transaction=True: synth commits as it goes. Not serialized_rollback: restoring the serialized rows
# at setup collides with the content types still there when no transactional test ran before it;
# the `authorities` fixture puts back the one table the test needs.
@pytest.mark.django_db(transaction=True)
def test_synth_adds_a_marked_recombined_archive_and_drop_removes_only_it(authorities, archive):
    from inspections.perf.synthetic import SYNTHETIC_PREFIX, drop_synthetic, sentences_of, synthesise

    real = {
        "inspections": set(Inspection.objects.values_list("pk", flat=True)),
        "findings": set(Finding.objects.values_list("pk", "text")),
        "tags": FindingTheme.objects.count(),
    }
    sentences = {sentence for _, text in real["findings"] for sentence in sentences_of(text)}
    counts = synthesise(findings=300, seed=5)
    made = Finding.objects.filter(inspection__source_filename__startswith=SYNTHETIC_PREFIX)
    assert counts.findings == made.count() == 300
    assert (
        Inspection.objects.filter(source_filename__startswith=SYNTHETIC_PREFIX).count() == counts.inspections
    )
    # every synthetic text is made of real sentences, and the copies on each finding are right
    assert all(set(sentences_of(text)) <= sentences for text in made.values_list("text", flat=True))
    assert_copies_right()
    first = sorted(made.values_list("inspection__sha256", "order", "text"))

    drop_synthetic()
    assert set(Inspection.objects.values_list("pk", flat=True)) == real["inspections"]
    assert set(Finding.objects.values_list("pk", "text")) == real["findings"]
    assert FindingTheme.objects.count() == real["tags"]
    assert_copies_right()  # the tallies and the authorities' latest grades are the real archive's again
    # the same seed over the same real archive makes the same archive again
    synthesise(findings=300, seed=5)
    assert sorted(made.values_list("inspection__sha256", "order", "text")) == first


def stored_order() -> list[int]:
    """The findings' ids in the order the table holds them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM inspections_finding ORDER BY ctid")
        return [pk for (pk,) in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)  # VACUUM cannot run in a transaction (as for synth, above)
def test_cluster_findings_stores_the_sample_first_each_part_newest_first_and_changes_nothing_else(
    authorities, archive
):
    """After the command the table holds the sample's findings first, then the others, each part in
    the date index's order, newest first; every finding is as it was, and the archive's version is
    unchanged (nothing cached goes stale)."""
    newest_first = list(
        Finding.objects.order_by("-inspection_date", "-inspection_id", "order").values_list("pk", flat=True)
    )
    sample = [pk for pk in newest_first if pk % SAMPLE_EVERY == 0]
    assert sample, "the archive has a sample to store first"
    every_finding = Finding.objects.order_by("pk").values_list("pk", "inspection_id", "order", "kind", "text")
    before = list(every_finding)
    assert stored_order() != newest_first  # the fixture made them oldest first, inspection by inspection
    version = archive_version()
    out = io.StringIO()
    call_command("cluster_findings", stdout=out)
    assert stored_order() == sample + [pk for pk in newest_first if pk not in sample]
    assert list(every_finding.all()) == before
    assert archive_version() == version
    assert date_order() < -0.9
    assert out.getvalue().startswith(
        f"Stored {len(before):,} findings, the sample's first, each part newest first, in "
    )
    with connection.cursor() as cursor:  # the index the rewrite was made by is gone
        assert "finding_stored_order" not in connection.introspection.get_constraints(
            cursor, "inspections_finding"
        )


@pytest.mark.parametrize(
    "params", [{}, {"q": "supervision"}, {"q": "care leavers", "authority": "leeds", "theme": "supervision"}]
)
def test_a_page_of_findings_costs_a_few_queries_however_many_it_lists(client, archive, params):
    """The archive's version, the one pass and the page (snippets and tags included): authorities
    and themes chosen by name are found in the labels, not looked up, and however many findings the
    page shows, the template reads no more."""
    client.get(reverse("finding-search"), params)  # the labels, read once per archive version
    clear_caches()  # the counts and the page's ids are worked out again, not read from the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("finding-search"), params)
    assert len(response.context["findings"]) >= 3
    assert len(queries) == 3, [query["sql"] for query in queries.captured_queries]
