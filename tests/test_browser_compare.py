"""Comparing authorities, an authority's recurring themes and similar findings in a real browser: what
people do, checked with axe-core at desktop and phone widths, with screenshots in screenshots/."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from inspections.choices import Grade, InspectionKind, JudgementArea
from inspections.models import Authority, Finding, FindingTheme, Theme

from .browser import AXE_LAYOUT_OPTIONS, CHROMIUM, CHROMIUM_MISSING, axe_violations, screenshot
from .factories import InspectionFactory, JudgementFactory
from .pages import build_archive

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING),
    pytest.mark.django_db(transaction=True),  # the live server reads only committed rows
]


@pytest.fixture
def archive(authorities):
    """The pages' archive, with timeliness named in two of Rutland's inspections (2016 and 2023), and
    Brent's latest inspection a 2026 ILACS, which gives no overall grade."""
    data = build_archive()
    timeliness = Theme.objects.get(slug="timeliness")
    FindingTheme.objects.create(finding=data.rutland_supervised, theme=timeliness, matched="without delay")
    brent = Authority.objects.get(slug="brent")
    older = InspectionFactory(authority=brent, start_date=datetime.date(2022, 1, 10), end_date=None)
    JudgementFactory(inspection=older, area=JudgementArea.OVERALL_EFFECTIVENESS, grade=Grade.GOOD)
    latest = InspectionFactory(
        authority=brent, kind=InspectionKind.ILACS, start_date=datetime.date(2026, 4, 27), end_date=None
    )
    JudgementFactory(inspection=latest, area=JudgementArea.IN_CARE, grade=Grade.GOOD)
    return data


def check_both_widths(page, name: str) -> None:
    """No axe violations at 1280 px, none of the layout rules' at 390 px, nothing wider than a phone
    but a scrolling region; a screenshot at each width."""
    assert axe_violations(page) == ""
    screenshot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page, AXE_LAYOUT_OPTIONS) == ""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"{name}-phone")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_compare_an_authority_with_its_statistical_neighbours(page, archive):
    page.goto(archive.rutland.get_absolute_url())
    page.get_by_role("link", name="Compare Rutland with its statistical neighbours").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare authorities")
    compared = page.locator("table.compared tbody th")
    expect(compared).to_have_count(1 + archive.rutland.statistical_neighbours.count())
    expect(compared.first).to_have_text("Rutland")
    expect(page.locator("table.compared tbody tr").first).to_contain_text("Good Nov 2023")


def test_the_compare_page(page, archive):
    page.goto("/compare/?authority=rutland&authority=leeds&authority=cornwall&authority=brent")
    expect(page.get_by_text("4 authorities side by side")).to_be_visible()
    # the chart, with the table of its figures as its text alternative
    chart = page.get_by_role("img", name=re.compile("^Overall effectiveness grades over time"))
    expect(chart).to_be_visible()
    expect(page.locator(".chart .legend li")).to_have_text(["Rutland", "Leeds", "Cornwall", "Brent"])
    years = page.locator("table.grades-by-year")
    expect(years.locator("thead th")).to_have_text(["Year", "Rutland", "Leeds", "Cornwall", "Brent"])
    expect(years.locator("tbody tr").first).to_contain_text(
        "No overall grade under the 2026 framework Apr 2026"
    )
    # Brent's latest grade is its 2026 ILACS, which gives none: not its older good
    brent = page.locator("table.compared tbody tr", has_text="Brent")
    expect(brent).to_contain_text("No overall grade under the 2026 framework")
    expect(brent.locator(".grade")).to_have_count(0)
    # themes against the national rate, each linked to its findings
    supervision = page.locator("table.theme-shares tbody tr", has_text="Supervision")
    # 2 of the archive's 5 improvement points; 1 of Rutland's 4
    expect(supervision.locator("td").first).to_have_text("40%")
    supervision.get_by_role("link", name=re.compile(r"^25% \(1\)")).click()
    expect(page).to_have_url(re.compile(r"/findings/\?authority=rutland&theme=supervision&kind=improvement$"))
    expect(page.locator("#result-count")).to_have_text(re.compile(r"^1 finding"))
    page.go_back()
    check_both_widths(page, "compare")


def test_choosing_authorities_to_compare(page, archive):
    page.goto("/compare/")
    expect(page.get_by_text("Tick the authorities to compare below, then press Compare.")).to_be_visible()
    check_both_widths(page, "compare-choose")
    page.locator("summary", has_text="East Midlands").click()
    page.get_by_label("Rutland").check()
    page.locator("summary", has_text="Yorkshire and the Humber").click()
    page.get_by_label("Leeds").check()
    page.get_by_role("button", name="Compare").click()
    # in the picker's order, by region
    expect(page).to_have_url(re.compile(r"/compare/\?authority=leeds&authority=rutland$"))
    expect(page.locator("table.compared tbody th")).to_have_text(["Leeds", "Rutland"])


def test_unknown_authorities_and_too_many_are_said_plainly(page, archive):
    slugs = list(Authority.objects.current().order_by("slug").values_list("slug", flat=True)[:13])
    query = "&".join(f"authority={slug}" for slug in [*slugs, "atlantis"])
    page.goto(f"/compare/?{query}")
    notice = page.locator(".notice")
    expect(notice).to_contain_text("No authority is called “atlantis”, so it is left out.")
    expect(notice).to_contain_text("At most 12 authorities can be compared at once, and 13 were chosen")
    expect(page.locator("table.compared tbody tr")).to_have_count(12)
    check_both_widths(page, "compare-too-many")


def test_recurring_themes_on_an_authority_page(page, archive):
    page.goto(archive.rutland.get_absolute_url())
    recurring = page.locator("section", has=page.get_by_role("heading", name="Recurring", exact=True))
    summary = recurring.locator("summary")
    expect(summary).to_have_text(["Timeliness and delay: in 2 inspections (2016, 2023)"])
    summary.click()
    links = recurring.locator(".recurring-inspections ul a")
    expect(links).to_have_count(2)
    check_both_widths(page, "authority-recurring")
    links.last.click()
    expect(page).to_have_url(re.compile(rf"/inspections/{archive.rutland_2023.pk}/#finding-1$"))


def test_similar_findings_from_a_finding(page, archive):
    page.goto(archive.rutland_2023.get_absolute_url())
    page.get_by_role("link", name="Similar findings elsewhere to finding 1", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Similar findings in other authorities")
    listed = page.locator(".similar-list > li")
    expect(listed.first).to_contain_text("Cornwall")
    expect(listed.first).to_contain_text("Area for improvement")  # the same kind first
    expect(listed.first.locator(".similarity")).to_have_text(
        re.compile(r"^Similarity: (Very similar|Similar) \(\d+%\)$")
    )
    expect(page.locator(".similar-list")).not_to_contain_text("Rutland")  # never its own authority
    assert listed.count() <= 10
    check_both_widths(page, "similar-findings")
    cornwall = Finding.objects.get(authority__slug="cornwall", kind="area_for_improvement")
    listed.first.get_by_role(
        "link", name=re.compile("Area for improvement|Inspection of local authority")
    ).first.click()
    expect(page).to_have_url(re.compile(rf"#finding-{cornwall.order}$"))
