"""The public pages in a real browser: what people do with them, by mouse and by keyboard alone,
checked with axe-core against WCAG 2.2 AA, with a screenshot of every page type in screenshots/."""

import csv
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inspections.models import Finding, Inspection
from inspections.search import SAMPLE_EVERY

from .browser import (
    AXE_LAYOUT_OPTIONS,
    CHROMIUM,
    CHROMIUM_MISSING,
    axe_violations,
    focused,
    has_visible_focus,
    screenshot,
    tab_to,
)
from .factories import FindingFactory
from .pages import PAGE_TYPES, PHRASE, build_archive

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING),
    # The live server reads only committed rows.
    pytest.mark.django_db(transaction=True),
]

CSV_COLUMNS = [
    "finding_id", "authority", "authority_slug", "gss_code", "region", "inspection_type",
    "inspection_type_slug", "inspection_date", "inspection_title", "finding_type", "finding_type_slug",
    "section", "judgement_area", "judgement_area_slug", "order", "page", "paragraph", "themes", "theme_slugs",
    "text", "url",
]  # fmt: skip
SEARCH_HEADING = "#result-count"


@pytest.fixture
def archive(authorities):
    return build_archive()


# Every page type: no axe violations at desktop width (nor in the layout rules at phone width), and a
# screenshot of each at both widths. ---------------------------------------------------------------


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_type_has_no_accessibility_violations(page, archive, name):
    response = page.goto(PAGE_TYPES[name](archive))
    assert response.status == 200
    assert axe_violations(page) == ""
    screenshot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page, AXE_LAYOUT_OPTIONS) == ""
    screenshot(page, f"{name}-phone")
    # Reflow (WCAG 1.4.10): nothing but a table's or a chart's scrolling region is wider than a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_estimated_counts_are_said_to_be_estimates_accessibly(page, archive, settings):
    settings.ARCHIVE_EXACT_COUNTS_UP_TO = 0  # every search the sample sees counts as broad
    # a finding about supervision surely in the sample, whatever ids the archive was given
    FindingFactory(
        id=SAMPLE_EVERY * 10**9,
        inspection=Inspection.objects.first(),
        order=999,
        text="Managers give regular reflective supervision.",
    )
    assert page.goto("/findings/?q=supervision").status == 200
    # the first page holds every match, so the count is exact; the facets' counts are estimates
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^\d+ findings for"))
    notice = page.locator(".notice.estimate")
    expect(notice).to_contain_text("The counts beside the filters are estimates")
    expect(notice).to_contain_text(f"a sample of one finding in {SAMPLE_EVERY}")
    expect(page.locator(".facet .count", has_text="about").first).to_be_attached()
    # an authority the results show but the sample missed can still be chosen
    shown = {f.inspection.authority.short_name for f in Finding.objects.filter(text__icontains="supervision")}
    for name in shown:
        expect(page.locator(".facet label", has_text=name)).to_have_count(1)
    expect(page.locator("#id_sort")).to_have_value("newest")
    assert axe_violations(page) == ""
    screenshot(page, "search-estimated")


# What people do -----------------------------------------------------------------------------------


def test_search_narrow_remove_a_filter_open_the_inspection_and_download(page, archive):
    page.goto("/findings/")
    page.get_by_label("Search the findings").fill(PHRASE)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(SEARCH_HEADING)).to_have_text("6 findings for “management oversight”")
    assert "sort=" not in page.url  # a new search is sorted by relevance, not by an earlier choice
    expect(page.get_by_label("Sort by")).to_have_value("relevance")
    first = page.locator(".finding-list .finding-text").first
    expect(first).to_have_text(
        re.compile(r"^The consistency of management oversight and supervision.*delay\.$")
    )
    assert first.locator("mark").all_inner_texts() == ["management", "oversight"]

    page.get_by_role("checkbox", name=re.compile(r"^Supervision")).check()
    page.get_by_role("checkbox", name=re.compile(r"^Rutland")).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^2 findings"))
    tags = page.locator(".selected-filters .tag")
    expect(tags).to_have_count(3)
    assert "theme=supervision" in page.url and "authority=rutland" in page.url

    page.get_by_role("link", name="Remove filter Theme: Supervision").click()
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^3 findings"))
    expect(tags).to_have_count(2)
    assert "theme=" not in page.url
    expect(page.get_by_role("checkbox", name=re.compile(r"^Rutland"))).to_be_checked()
    search_url = page.url

    first = page.locator(".finding-list .finding").first
    expect(first).to_contain_text("The consistency of management oversight and supervision")
    first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(archive.rutland_2023.title)
    finding_id = f"finding-{archive.rutland_supervised.order}"
    assert page.url.endswith(f"#{finding_id}")
    expect(page.locator(f"#{finding_id}")).to_contain_text("management oversight and supervision")
    expect(page.locator(f"#{finding_id}")).to_be_in_viewport()
    screenshot(page, "inspection-at-a-finding")

    page.goto(search_url)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    today = timezone.localdate().isoformat()
    assert download.suggested_filename == f"findings-management-oversight-rutland-{today}.csv"
    with open(download.path(), newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == CSV_COLUMNS
    assert len(rows) == 1 + 3
    assert {row[CSV_COLUMNS.index("authority_slug")] for row in rows[1:]} == {"rutland"}


def test_browse_from_the_authorities_list_to_a_timeline(page, archive):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Authorities").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Authorities")
    page.get_by_role("checkbox", name="East Midlands").check()
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("row", name=re.compile(r"^Rutland"))).to_contain_text("Good")
    expect(page.get_by_role("link", name="Leeds", exact=True)).to_have_count(0)

    page.get_by_role("link", name="Rutland", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rutland County Council")
    timeline = page.get_by_role("region", name="Inspections of Rutland").locator("tbody tr")
    expect(timeline).to_have_count(4)
    dates = timeline.locator("td:first-child").all_inner_texts()
    assert dates == [f"{i.start_date:%-d %b %Y}" for i in archive.rutland_timeline]

    timeline.nth(2).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(archive.rutland_timeline[2].title)
    page.get_by_role("link", name=re.compile(r"^Next inspection: Focused visit")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(archive.rutland_timeline[1].title)
    expect(page.get_by_text("did not grade anything")).to_be_visible()


def test_charts_have_text_equivalents(page, archive):
    page.goto(archive.rutland.get_absolute_url())
    # The grade chart is a table of coloured cells, each grade in words.
    chart = page.get_by_role("table", name="Graded judgements of Rutland over time")
    expect(chart.get_by_role("columnheader")).to_have_count(3)
    leaders = chart.get_by_role("row", name=re.compile(r"^Impact of leaders on practice"))
    expect(leaders.get_by_role("cell")).to_have_text([re.compile("not judged"), "Good", "Outstanding"])
    table = page.get_by_role("region", name="Inspections of Rutland")
    expect(table.locator("tbody tr").first).to_contain_text("Impact of leaders on practice: Outstanding")
    expect(table.locator("tbody tr").last).to_contain_text(
        "Overall effectiveness: Requires improvement to be good"
    )

    page.goto(archive.supervision.get_absolute_url())
    expect(page.get_by_role("img", name=re.compile(r"^Findings on Supervision each year"))).to_be_visible()
    table = page.get_by_role("table", name="Findings on Supervision each year")
    headers = table.locator("thead th").all_inner_texts()
    rows = {
        row.locator("th").inner_text(): dict(
            zip(headers[1:], row.locator("td").all_inner_texts(), strict=True)
        )
        for row in table.locator("tbody tr").all()
    }
    assert rows["2022"]["Strength"] == "1"
    assert (rows["2023"]["Strength"], rows["2023"]["Area for improvement"]) == ("1", "2")


# Printed ------------------------------------------------------------------------------------------

PRINT_STYLE = """(selector) => [...document.querySelectorAll(selector)].map((el) => {
    const style = getComputedStyle(el), after = getComputedStyle(el, "::after");
    return {display: style.display, color: style.color, background: style.backgroundColor,
            breakInside: style.breakInside, after: after.content};
})"""


def printed(page, selector: str) -> list[dict]:
    return page.evaluate(PRINT_STYLE, selector)


def test_an_inspection_prints_its_findings_whole_with_their_addresses_and_no_controls(page, archive):
    inspection = archive.rutland_2023
    page.goto(inspection.get_absolute_url())
    assert [item["display"] for item in printed(page, ".print-url")] == ["none"]  # on screen: not shown
    page.emulate_media(media="print")
    screenshot(page, "inspection-printed")

    for hidden in [".skip-link", ".site-header nav", ".sibling-nav", ".permalink .screen-only"]:
        assert {item["display"] for item in printed(page, hidden)} == {"none"}, hidden
    assert printed(page, "body")[0]["color"] == "rgb(0, 0, 0)"
    assert printed(page, "body")[0]["background"] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    grades = printed(page, ".grade")
    assert grades and {(grade["color"], grade["background"]) for grade in grades} == {
        ("rgb(0, 0, 0)", "rgba(0, 0, 0, 0)")  # no white text left on a background the printer leaves out
    }
    findings = printed(page, ".finding")
    assert findings and {finding["breakInside"] for finding in findings} == {"avoid"}
    address = f"{page.url.split('#')[0]}#finding-{archive.rutland_supervised.order}"
    permalinks = [item["after"] for item in printed(page, ".permalink")]
    assert f'"{address}"' in permalinks
    expect(page.locator(".print-url")).to_have_text(f"Printed from {page.url}")
    assert page.pdf()[:5] == b"%PDF-"  # Chromium prints it


def test_the_search_page_prints_its_results_without_its_filters(page, archive):
    page.goto(f"/findings/?q={PHRASE}")
    page.emulate_media(media="print")
    for hidden in [".filters", ".finder-query", ".sort", ".exports", "button"]:
        assert {item["display"] for item in printed(page, hidden)} == {"none"}, hidden
    expect(page.locator(".finding-list .finding")).to_have_count(6)
    expect(page.locator(SEARCH_HEADING)).to_be_visible()


def test_an_authority_prints_without_its_navigation(page, archive):
    page.goto(archive.rutland.get_absolute_url())
    page.emulate_media(media="print")
    screenshot(page, "authority-printed")
    assert {item["display"] for item in printed(page, ".site-header nav, .skip-link")} == {"none"}
    expect(page.get_by_role("region", name="Inspections of Rutland").locator("tbody tr")).to_have_count(4)
    assert {row["breakInside"] for row in printed(page, "tr")} == {"avoid"}


# Keyboard only ------------------------------------------------------------------------------------


def test_skip_link_is_the_first_stop_is_visible_and_moves_focus_to_the_content(page, archive):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == "Skip to main content"
    assert has_visible_focus(skip), skip
    screenshot(page, "keyboard-skip-link")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    # The next Tab goes into the content, past the header's links.
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "home-q"


def test_keyboard_search_from_home(page, archive):
    page.goto("/")
    box = tab_to(page, lambda element: element["id"] == "home-q")
    assert has_visible_focus(box), box
    page.keyboard.type(PHRASE)
    screenshot(page, "keyboard-search-box")
    page.keyboard.press("Enter")
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^6 findings"))


def test_keyboard_filter_checkbox(page, archive):
    page.goto(f"/findings/?q={PHRASE}")
    checkbox = tab_to(page, lambda element: element["id"] == "f-theme-supervision")
    assert has_visible_focus(checkbox), checkbox
    page.keyboard.press("Space")
    assert focused(page)["checked"]
    screenshot(page, "keyboard-filter-checkbox")
    apply = tab_to(page, lambda element: element["text"] == "Apply filters")
    assert has_visible_focus(apply), apply
    page.keyboard.press("Enter")
    expect(page.locator(SEARCH_HEADING)).to_have_text(re.compile(r"^4 findings"))
    expect(page.get_by_role("link", name="Remove filter Theme: Supervision")).to_be_visible()


@pytest.mark.parametrize(
    ("name", "kinds"),
    [("search-results", {"a", "input", "button", "select"}), ("authority", {"a", "div"})],
)
def test_every_focusable_element_shows_where_the_focus_is(page, archive, name, kinds):
    """Tab through the whole page: links, buttons, checkboxes, a select, date fields, scrolling
    regions (tables, charts)."""
    page.goto(PAGE_TYPES[name](archive))
    seen = set()
    for _ in range(120):
        page.keyboard.press("Tab")
        element = focused(page)
        if element["tag"] == "body":
            break
        assert has_visible_focus(element), element
        seen.add(element["tag"])
    else:
        raise AssertionError("Tab never reached the end of the page")
    assert kinds <= seen


def test_a_findings_citation_opens_from_the_keyboard_and_copies(page, archive):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    finding = archive.rutland_supervised
    page.goto(finding.get_absolute_url())
    item = page.locator(f"#finding-{finding.order}")
    citation = item.locator(".citation")
    expect(citation).to_be_hidden()
    summary = item.locator("summary")
    summary.focus()
    assert has_visible_focus(focused(page))
    page.keyboard.press("Enter")
    expect(citation).to_be_visible()
    address = f"{page.url.split('#')[0]}#finding-{finding.order}"
    expect(citation).to_contain_text(f"Ofsted, {finding.inspection.title}")
    expect(citation).to_contain_text(address)
    item.get_by_role("button", name="Copy citation").click()
    expect(item.get_by_role("status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == citation.text_content().strip()
    assert axe_violations(page) == ""


def test_the_finding_types_are_explained_and_a_misspelling_corrected(page, archive):
    page.goto(PAGE_TYPES["search-suggestion"](archive))
    page.get_by_text("What do these mean?").click()
    assert page.get_by_text("what every generation of report asks the council to improve").is_visible()
    assert axe_violations(page) == ""
    page.get_by_role("link", name="supervision").click()
    assert "q=supervision" in page.url and "kind=improvement" in page.url
    assert page.get_by_label("All improvement points").is_checked()
    assert "Did you mean" not in page.content()
