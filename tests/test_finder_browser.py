"""The finder in a real browser (#19), at a phone's width (390 px) and a desktop's (1280 px), by
keyboard alone where people would: the results before the filters, the "Filter" button, the skip
links, narrowing the authorities by typing, dates in day, month and year boxes, the authorities
table's scrolling, the grade chart of one inspection and of twenty, and a title naming another
authority than the one its report is filed under. axe-core checks each state at both widths."""

import datetime
import itertools
import re

import pytest
from playwright.sync_api import expect

from inspections.choices import Grade, InspectionKind, JudgementArea
from inspections.models import Authority

from .browser import (
    CHROMIUM,
    CHROMIUM_MISSING,
    axe_violations,
    focused,
    has_visible_focus,
    screenshot,
    tab_to,
)
from .factories import FindingFactory, InspectionFactory, JudgementFactory
from .pages import PHRASE, build_archive
from .test_finder import SIF_AREAS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING),
    pytest.mark.django_db(transaction=True),  # the live server reads only committed rows
]

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SEARCH_HEADING = "#result-count"
FIRST_RESULT = ".finding-list .finding-meta a"


@pytest.fixture
def archive(authorities):
    return build_archive()


def at(page, width: str):
    page.set_viewport_size(WIDTHS[width])


def layout_is_clean(page, width: str):
    """No axe violation, and nothing but a scrolling region wider than the window (WCAG 1.4.10)."""
    assert axe_violations(page) == ""
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]["width"]


def open_filters_by_keyboard(page):
    """On a phone: Tab to the "Filter" button and press Enter."""
    tab_to(page, lambda element: element["text"].startswith("Filter") and element["tag"] == "button")
    page.keyboard.press("Enter")
    expect(page.locator("#filters")).to_be_visible()


def reach_the_first_result(page, limit: int = 10) -> list[dict]:
    """Press Tab until the first result's link has the focus, at most `limit` times: the stops."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(focused(page))
        if page.evaluate(f"document.activeElement === document.querySelector('{FIRST_RESULT}')"):
            return stops
    raise AssertionError(f"the first result is not within {limit} Tab stops: {stops}")


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


# The results first, the filters behind a button on a phone ----------------------------------------


def test_on_a_phone_the_count_and_results_come_first_and_the_filters_wait_behind_a_button(page, archive):
    at(page, "phone")
    page.goto(f"/findings/?q={PHRASE}")
    toggle = page.get_by_role("button", name="Filter", exact=True)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "filters")
    expect(page.locator("#filters")).to_be_hidden()
    count, first = box(page, SEARCH_HEADING), box(page, ".finding-list .finding")
    assert count["y"] + count["height"] <= first["y"] < WIDTHS["phone"]["height"]  # on the first screen
    layout_is_clean(page, "phone")
    screenshot(page, "finder-phone")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    filters = page.locator("#filters")
    expect(filters).to_be_visible()
    # the filters open under the button, above the results
    assert box(page, ".filter-toggle")["y"] < box(page, "#filters")["y"] < box(page, ".finding-list")["y"]
    layout_is_clean(page, "phone")
    screenshot(page, "finder-phone-filters-open")

    filters.get_by_role("checkbox", name=re.compile(r"^Rutland")).check()
    filters.get_by_role("button", name="Apply filters").click()
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^3 findings"))
    expect(page.locator("#filters")).to_be_hidden()
    expect(page.get_by_role("button", name="Filter (1 chosen)")).to_have_attribute("aria-expanded", "false")


def test_on_a_wide_screen_the_filters_stay_beside_the_results_and_follow_the_width(page, archive):
    page.goto(f"/findings/?q={PHRASE}")
    expect(page.locator(".filter-toggle")).to_be_hidden()
    filters, results, head = (
        box(page, "#filters"),
        box(page, ".finder-body .results"),
        box(page, ".results-head"),
    )
    assert filters["x"] + filters["width"] <= results["x"]  # two columns, the filters on the left
    assert abs(filters["y"] - head["y"]) < 2
    screenshot(page, "finder-desktop")
    at(page, "phone")  # turned, or a window narrowed: one column, the filters behind the button
    expect(page.locator("#filters")).to_be_hidden()
    expect(page.get_by_role("button", name="Filter", exact=True)).to_be_visible()
    at(page, "desktop")
    expect(page.locator("#filters")).to_be_visible()
    assert box(page, "#filters")["x"] < box(page, ".finder-body .results")["x"]


def test_without_scripts_a_phone_still_gets_every_filter_after_the_results(browser, live_server, archive):
    context = browser.new_context(
        base_url=live_server.url, viewport=WIDTHS["phone"], java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(f"/findings/?q={PHRASE}")
        expect(page.get_by_role("button", name="Filter", exact=True)).to_have_count(0)
        filters = page.locator("#filters")
        expect(filters).to_be_visible()
        assert box(page, ".finding-list")["y"] < box(page, "#filters")["y"]
        expect(page.get_by_role("textbox", name="Find an authority")).to_have_count(0)  # needs scripts
        page.get_by_role("link", name="Filter the findings").click()
        assert page.url.endswith("#filters")
        filters.get_by_role("checkbox", name=re.compile(r"^Rutland")).check()
        filters.get_by_label("Year").first.fill("2023")
        filters.get_by_role("button", name="Apply filters").click()
        expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^3 findings"))
        assert "authority=rutland" in page.url and "date_from=2023-01-01" in page.url
        screenshot(page, "finder-phone-no-scripts")
    finally:
        context.close()


# Keyboard ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_the_first_result_is_within_ten_tabs_of_the_search_box(page, archive, width):
    at(page, width)
    page.goto("/findings/?q=supervision")
    page.locator("#id_q").focus()
    stops = reach_the_first_result(page)
    assert all(has_visible_focus(stop) for stop in stops), stops
    screenshot(page, f"keyboard-first-result-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_skip_links_go_to_the_results_and_to_the_filters(page, archive, width):
    at(page, width)
    page.goto(f"/findings/?q={PHRASE}")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == "Skip to results" and has_visible_focus(skip), skip
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "results"
    reach_the_first_result(page)

    page.goto(f"/findings/?q={PHRASE}")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to filters"
    page.keyboard.press("Enter")
    expect(page.locator("#filters")).to_be_visible()  # opened on a phone
    assert focused(page)["id"] == "filters"
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('filters').contains(document.activeElement)")


def test_on_a_phone_the_filters_open_and_apply_by_keyboard_in_the_order_shown(page, archive):
    at(page, "phone")
    page.goto(f"/findings/?q={PHRASE}")
    open_filters_by_keyboard(page)
    assert page.get_by_role("button", name="Filter", exact=True).get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")  # the next stop is in the filters, which follow the button
    assert page.evaluate("document.getElementById('filters').contains(document.activeElement)")
    checkbox = tab_to(page, lambda element: element["id"] == "f-theme-supervision")
    assert has_visible_focus(checkbox), checkbox
    page.keyboard.press("Space")
    tab_to(page, lambda element: element["text"] == "Apply filters")
    page.keyboard.press("Enter")
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^4 findings"))


# Narrowing a long list by typing ------------------------------------------------------------------


@pytest.fixture
def many_authorities(archive):
    """Fifteen more authorities with a finding about supervision: the authority filter scrolls."""
    authorities = list(Authority.objects.filter(end_date__isnull=True).order_by("short_name")[:15])
    for authority in authorities:
        FindingFactory(inspection=InspectionFactory(authority=authority), text="Supervision is regular.")
    return authorities


@pytest.mark.parametrize("width", WIDTHS)
def test_typing_narrows_the_authorities_and_a_ticked_one_stays_in_sight(page, many_authorities, width):
    ticked = Authority.objects.get(slug="bolton")
    at(page, width)
    page.goto(f"/findings/?q=supervision&authority={ticked.slug}")
    options = page.locator("#options-authority .option")
    total = options.count()
    assert total > 12
    expect(options.first).to_contain_text(ticked.short_name)  # the ticked one first, in view
    if width == "phone":
        open_filters_by_keyboard(page)
    text_box = tab_to(page, lambda element: element["id"] == "find-authority")
    assert has_visible_focus(text_box) and text_box["name"] == ""  # not sent with the form
    page.keyboard.type("rut")
    shown = page.evaluate(
        "[...document.querySelectorAll('#options-authority .option')].filter((o) => o.offsetParent)"
        ".map((o) => o.querySelector('label').firstChild.textContent.trim())"
    )
    assert shown == [ticked.short_name, "Rutland"]
    expect(page.locator("#found-authority")).to_have_text(f"2 of {total} shown")
    url = page.url
    page.keyboard.press("Enter")  # ends the typing, sends nothing
    page.wait_for_timeout(200)
    assert page.url == url
    page.keyboard.press("Tab")  # the next stops are the options left in the list
    assert focused(page)["id"] == f"f-authority-{ticked.slug}"
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "f-authority-rutland"
    page.keyboard.press("Space")
    assert axe_violations(page) == ""
    screenshot(page, f"finder-authority-typed-{width}")
    tab_to(page, lambda element: element["text"] == "Apply filters")
    page.keyboard.press("Enter")
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^\d+ findings"))
    assert "authority=bolton" in page.url and "authority=rutland" in page.url and "find-" not in page.url


# Dates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_dates_are_typed_in_day_month_and_year_boxes_or_chosen_from_quick_choices(page, archive, width):
    at(page, width)
    page.goto(f"/findings/?q={PHRASE}")
    expect(page.locator('input[type="date"]')).to_have_count(0)
    if width == "phone":
        open_filters_by_keyboard(page)
    tab_to(page, lambda element: element["id"] == "id_date_from_year")
    page.keyboard.type("2023")
    tab_to(page, lambda element: element["text"] == "Apply filters")
    page.keyboard.press("Enter")
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^4 findings"))
    assert "date_from=2023-01-01" in page.url and "date_from_year" not in page.url  # as links write it
    expect(page.get_by_role("link", name="Remove filter Inspected from: 1 January 2023")).to_be_attached()
    if width == "phone":
        page.get_by_role("button", name=re.compile("^Filter")).click()
    from_boxes = page.get_by_role("group", name="From", exact=True)
    assert [from_boxes.get_by_label(part).input_value() for part in ("Day", "Month", "Year")] == [
        "1",
        "1",
        "2023",
    ]
    layout_is_clean(page, width)
    screenshot(page, f"finder-dates-{width}")

    page.get_by_role("link", name="Before ILACS (to 2017)").click()
    assert "date_to=2017-12-31" in page.url and "date_from" not in page.url
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^0 findings"))  # none before 2018
    if width == "phone":
        page.get_by_role("button", name=re.compile("^Filter")).click()
    expect(page.get_by_role("link", name="Before ILACS (to 2017)")).to_have_attribute("aria-current", "true")

    # an address shared before the boxes still works, and fills them
    page.goto(f"/findings/?q={PHRASE}&date_from=2022-05-09&date_to=2022-05-31")
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^2 findings"))
    values = page.evaluate("[...document.querySelectorAll('.date-parts input')].map((input) => input.value)")
    assert values == ["9", "5", "2022", "31", "5", "2022"]


@pytest.mark.parametrize("width", WIDTHS)
def test_boxes_that_make_no_date_say_why_beside_them(page, archive, width):
    at(page, width)
    page.goto(f"/findings/?q={PHRASE}&date_from_day=31&date_from_month=2&date_from_year=2023")
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^6 findings"))  # the filter is ignored
    expect(page.locator(".notice")).to_contain_text("Inspected from: Enter a real date")
    if width == "phone":
        page.get_by_role("button", name="Filter", exact=True).click()
    group = page.get_by_role("group", name="From", exact=True)
    expect(group.locator(".error-message")).to_have_text("Error: Enter a real date: there is no such day.")
    expect(group.get_by_label("Day")).to_have_value("31")
    expect(group.get_by_label("Day")).to_have_attribute("aria-invalid", "true")
    layout_is_clean(page, width)


# The authorities table on a phone ---------------------------------------------------------------


def test_the_authorities_table_says_it_scrolls_on_a_phone_and_scrolls_by_keyboard(page, archive):
    at(page, "phone")
    page.goto("/authorities/")
    hint = page.get_by_text("The table is wider than the screen: scroll it sideways for every column.")
    expect(hint).to_be_visible()
    region = page.get_by_role("region", name="Authorities")
    expect(region).to_have_attribute("tabindex", "0")
    width, visible = region.evaluate("(r) => [r.scrollWidth, r.clientWidth]")
    assert width > visible
    assert "radial-gradient" in region.evaluate("(r) => getComputedStyle(r).backgroundImage")  # the shadow
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Authorities":
            break
    else:
        raise AssertionError("Tab never reached the table")
    assert has_visible_focus(focused(page))
    region.scroll_into_view_if_needed()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    region.evaluate("(r) => new Promise((done) => setTimeout(done, 500))")  # the scroll is smooth
    assert region.evaluate("(r) => r.scrollLeft") > 0
    name = region.get_by_role("rowheader").first
    assert name.bounding_box()["x"] >= region.bounding_box()["x"] - 1  # each row's name stays in sight
    layout_is_clean(page, "phone")
    screenshot(page, "authorities-table-phone-scrolled")
    at(page, "desktop")
    expect(hint).to_be_hidden()


# The grade chart ---------------------------------------------------------------------------------


@pytest.fixture
def inspected_once(authorities):
    """York, inspected once under the single inspection framework: seven judgements."""
    york = Authority.objects.get(slug="york")
    inspection = InspectionFactory(
        authority=york, kind=InspectionKind.SIF, start_date=datetime.date(2016, 11, 14)
    )
    grades = [
        Grade.GOOD,
        Grade.REQUIRES_IMPROVEMENT,
        Grade.GOOD,
        Grade.OUTSTANDING,
        Grade.GOOD,
        Grade.GOOD,
        Grade.INADEQUATE,
    ]
    for area, grade in zip(SIF_AREAS, grades, strict=True):
        JudgementFactory(inspection=inspection, area=area, grade=grade)
    return york


@pytest.fixture
def inspected_twenty_times(authorities):
    """Kent, graded by twenty inspections of four frameworks between 2005 and 2024."""
    kent = Authority.objects.get(slug="kent")
    frameworks = [
        (InspectionKind.SLAC, [JudgementArea.OVERALL_EFFECTIVENESS, JudgementArea.CAPACITY_TO_IMPROVE]),
        (InspectionKind.CHILD_PROTECTION_2012, [JudgementArea.OVERALL_EFFECTIVENESS]),
        (InspectionKind.SIF, SIF_AREAS),
        (InspectionKind.ILACS, [JudgementArea.OVERALL_EFFECTIVENESS, JudgementArea.IMPACT_OF_LEADERS,
                                JudgementArea.HELP_AND_PROTECTION, JudgementArea.IN_CARE_AND_CARE_LEAVERS]),
    ]  # fmt: skip
    grades = list(Grade)
    for n in range(20):
        kind, areas = frameworks[n // 5]
        inspection = InspectionFactory(
            authority=kent, kind=kind, start_date=datetime.date(2005 + n, 1 + n % 12, 10), end_date=None
        )
        for i, area in enumerate(areas):
            JudgementFactory(inspection=inspection, area=area, grade=grades[(n + i) % len(grades)])
    return kent


@pytest.mark.parametrize("width", WIDTHS)
def test_one_inspection_s_chart_shows_all_seven_judgements_each_in_its_own_cell(page, inspected_once, width):
    at(page, width)
    page.goto(inspected_once.get_absolute_url())
    chart = page.get_by_role("table", name="Graded judgements of York over time")
    expect(chart.get_by_role("rowheader")).to_have_text([area.label for area in SIF_AREAS])
    expect(chart.get_by_role("columnheader")).to_have_text([re.compile(r"^Nov 2016 SIF")])
    expect(chart.locator("tbody td")).to_have_text(
        ["Good", "Requires improvement to be good", "Good", "Outstanding", "Good", "Good", "Inadequate"]
    )
    cells = [cell.bounding_box() for cell in chart.locator("tbody .grade").all()]
    assert all(a["y"] + a["height"] <= b["y"] for a, b in itertools.pairwise(cells))  # no overlap
    region = page.get_by_role("region", name="Graded judgements of York over time")
    assert region.evaluate("(r) => r.scrollWidth <= r.clientWidth")  # all in view, nothing to scroll
    layout_is_clean(page, width)
    screenshot(page, f"grade-chart-one-inspection-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_twenty_inspections_chart_keeps_a_column_each_and_a_key(page, inspected_twenty_times, width):
    at(page, width)
    page.goto(inspected_twenty_times.get_absolute_url())
    chart = page.get_by_role("table", name="Graded judgements of Kent over time")
    headers = chart.get_by_role("columnheader")
    expect(headers).to_have_count(20)
    expect(headers.first).to_contain_text("Jan 2005")
    expect(headers.last).to_contain_text("Aug 2024")
    rows = chart.get_by_role("rowheader").all_inner_texts()
    assert rows[0] == "Overall effectiveness" and len(rows) == len(set(rows)) == 10
    # a grade's initials, each in a column of its own, its name for screen readers and in the key
    first = chart.get_by_role("row", name=re.compile("^Overall effectiveness")).get_by_role("cell").first
    expect(first.locator("[aria-hidden]")).to_have_text("O")
    expect(first.locator(".visually-hidden")).to_have_text("Outstanding")
    expect(page.get_by_role("list", name="Key to the grades").get_by_role("listitem")).to_have_count(5)
    lefts = [header.bounding_box()["x"] for header in headers.all()]
    assert lefts == sorted(lefts) and len(set(lefts)) == 20
    assert not any(header.evaluate("(h) => h.scrollWidth > h.clientWidth") for header in headers.all())
    # scrolled from the keyboard, every row keeps its name in sight
    region = page.get_by_role("region", name="Graded judgements of Kent over time")
    region.focus()
    assert has_visible_focus(focused(page))
    if region.evaluate("(r) => r.scrollWidth > r.clientWidth"):
        for _ in range(10):
            page.keyboard.press("ArrowRight")
        region.evaluate("(r) => new Promise((done) => setTimeout(done, 500))")  # the scroll is smooth
        assert region.evaluate("(r) => r.scrollLeft") > 0
        name = chart.get_by_role("rowheader").first
        assert name.bounding_box()["x"] >= region.bounding_box()["x"] - 1
    layout_is_clean(page, width)
    screenshot(page, f"grade-chart-twenty-inspections-{width}")


# A title naming another authority ---------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_a_title_as_printed_is_shown_with_the_authority_its_report_is_filed_under(page, archive, width):
    at(page, width)
    visit = archive.cornwall_visit
    page.goto(visit.get_absolute_url())
    expect(page.locator(".caption")).to_have_text(visit.authority.name)
    expect(page.get_by_role("heading", level=1)).to_have_text(visit.title)
    expect(page.locator(".title-note")).to_contain_text("which names Devon County Council")
    layout_is_clean(page, width)
    page.goto("/findings/?q=edge+of+care")
    expect(page.locator(FIRST_RESULT)).to_have_text("Cornwall, Focused visit, January 2024")
    page.goto(visit.authority.get_absolute_url())
    expect(
        page.get_by_role("region", name="Inspections of Cornwall").get_by_role("link", name="Focused visit")
    ).to_be_visible()
