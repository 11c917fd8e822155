"""A small archive for the public pages' tests: three real authorities' inspections, with findings
tagged with the real practice themes, and the address of every page type."""

import datetime
from types import SimpleNamespace

from django.conf import settings
from django.core.management import call_command

from inspections.choices import FindingKind, Grade, InspectionKind, JudgementArea
from inspections.models import Authority, FindingTheme, Theme

from .factories import FindingFactory, InspectionFactory, JudgementFactory

PHRASE = '"management oversight"'


def _inspection(authority, kind, start, grades=(), **fields):
    inspection = InspectionFactory(
        authority=authority,
        kind=kind,
        start_date=start,
        end_date=start + datetime.timedelta(days=11) if kind != InspectionKind.FOCUSED_VISIT else start,
        published_date=start + datetime.timedelta(days=50),
        **fields,
    )
    for area, grade in grades:
        JudgementFactory(inspection=inspection, area=area, grade=grade)
    return inspection


def _finding(inspection, kind, text, themes=(), **fields):
    finding = FindingFactory(inspection=inspection, kind=kind, text=text, **fields)
    for theme, matched in themes:
        FindingTheme.objects.create(finding=finding, theme=theme, matched=matched)
    return finding


def build_archive() -> SimpleNamespace:
    """Three real authorities' inspections, with findings tagged with the real practice themes.

    Six findings say "management oversight": Rutland 3, Leeds 2, Cornwall 1. Four of those carry
    the Supervision theme (Rutland 2), so the search narrows 6 -> 2 and widens back to 3."""
    if not Theme.objects.exists():
        call_command("loaddata", settings.BASE_DIR / "fixtures" / "themes.json", verbosity=0)
    rutland, leeds, cornwall = (Authority.objects.get(slug=s) for s in ("rutland", "leeds", "cornwall"))
    supervision, oversight, care_leavers, neglect, timeliness = (
        Theme.objects.get(slug=slug)
        for slug in ("supervision", "management-oversight", "care-leavers", "neglect", "timeliness")
    )
    overall, leaders = JudgementArea.OVERALL_EFFECTIVENESS, JudgementArea.IMPACT_OF_LEADERS
    help_protection, in_care = JudgementArea.HELP_AND_PROTECTION, JudgementArea.IN_CARE_AND_CARE_LEAVERS

    rutland_sif = _inspection(
        rutland,
        InspectionKind.SIF,
        datetime.date(2016, 5, 9),
        [(overall, Grade.REQUIRES_IMPROVEMENT), (help_protection, Grade.REQUIRES_IMPROVEMENT),
         (JudgementArea.LEADERSHIP, Grade.REQUIRES_IMPROVEMENT), (JudgementArea.ADOPTION, Grade.GOOD)],
        title="Rutland County Council: inspection of services for children in need of help and protection, "
        "children looked after and care leavers",
    )  # fmt: skip
    rutland_2019 = _inspection(
        rutland,
        InspectionKind.ILACS,
        datetime.date(2019, 10, 14),
        [(overall, Grade.GOOD), (leaders, Grade.GOOD), (help_protection, Grade.GOOD), (in_care, Grade.GOOD)],
    )
    rutland_visit = _inspection(
        rutland,
        InspectionKind.FOCUSED_VISIT,
        datetime.date(2021, 3, 2),
        title="Focused visit to Rutland local authority children's services",
    )
    rutland_2023 = _inspection(
        rutland,
        InspectionKind.ILACS,
        datetime.date(2023, 11, 6),
        [(overall, Grade.GOOD), (leaders, Grade.OUTSTANDING), (help_protection, Grade.GOOD),
         (in_care, Grade.GOOD)],
    )  # fmt: skip
    leeds_2022 = _inspection(
        leeds,
        InspectionKind.ILACS,
        datetime.date(2022, 5, 9),
        [(overall, Grade.OUTSTANDING), (leaders, Grade.OUTSTANDING), (help_protection, Grade.OUTSTANDING),
         (in_care, Grade.OUTSTANDING)],
    )  # fmt: skip
    cornwall_2023 = _inspection(
        cornwall,
        InspectionKind.ILACS,
        datetime.date(2023, 2, 6),
        [(overall, Grade.REQUIRES_IMPROVEMENT), (leaders, Grade.GOOD),
         (help_protection, Grade.REQUIRES_IMPROVEMENT), (in_care, Grade.INADEQUATE)],
    )  # fmt: skip

    improve = {"section": "What needs to improve?", "area": None}
    in_leaders = {"section": "The impact of leaders on social work practice with children and families"}
    _finding(
        rutland_sif,
        FindingKind.RECOMMENDATION,
        "Improve the timeliness of assessments for children in need of help and protection.",
        [(timeliness, "timeliness")],
        section="Recommendations",
        area=None,
        order=1,
    )
    _finding(
        rutland_2019,
        FindingKind.AREA_FOR_IMPROVEMENT,
        "The quality of written plans for children in need.",
        order=1,
        **improve,
    )
    _finding(
        rutland_visit,
        FindingKind.NARRATIVE,
        "Social workers know their children well and visit them regularly.",
        order=1,
    )
    rutland_supervised = _finding(
        rutland_2023,
        FindingKind.AREA_FOR_IMPROVEMENT,
        "The consistency of management oversight and supervision, so that plans for children "
        "progress without delay.",
        [(oversight, "management oversight"), (supervision, "supervision")],
        order=1,
        **improve,
    )
    _finding(
        rutland_2023,
        FindingKind.RECOMMENDATION,
        "Strengthen pathway plans for care leavers, so that they reflect young people's views.",
        [(care_leavers, "care leavers, pathway plans")],
        order=2,
        **improve,
    )
    _finding(
        rutland_2023,
        FindingKind.STRENGTH,
        "Leaders have strengthened management oversight, and social workers receive regular "
        "reflective supervision that helps them to plan for children.",
        [(oversight, "management oversight"), (supervision, "supervision")],
        order=3,
        area=leaders,
        **in_leaders,
    )
    _finding(
        rutland_2023,
        FindingKind.NARRATIVE,
        "Management oversight of early help is visible on children's records, and the response "
        "to neglect is timely.",
        [(oversight, "management oversight"), (neglect, "neglect")],
        order=4,
    )
    _finding(
        leeds_2022,
        FindingKind.STRENGTH,
        "Management oversight is strong, and supervision helps social workers to reflect on "
        "their work with families.",
        [(oversight, "management oversight"), (supervision, "supervision")],
        order=1,
        area=leaders,
        **in_leaders,
    )
    _finding(
        leeds_2022,
        FindingKind.NARRATIVE,
        "Management oversight of children's plans in the court arena is consistent.",
        [(oversight, "management oversight")],
        order=2,
    )
    _finding(
        leeds_2022,
        FindingKind.STRENGTH,
        "Care leavers are well supported by personal advisers who know them well.",
        [(care_leavers, "care leavers, personal advisers")],
        order=3,
        section="The experiences and progress of children in care and care leavers",
        area=in_care,
    )
    _finding(
        cornwall_2023,
        FindingKind.AREA_FOR_IMPROVEMENT,
        "Management oversight and supervision are not consistently recorded for children who "
        "experience neglect.",
        [(oversight, "management oversight"), (supervision, "supervision"), (neglect, "neglect")],
        order=1,
        **improve,
    )
    # The report printed Devon's name; staff filed it under Cornwall (the upload's correction).
    cornwall_visit = _inspection(
        cornwall,
        InspectionKind.FOCUSED_VISIT,
        datetime.date(2024, 1, 15),
        title="Focused visit to Devon local authority children's services",
    )
    _finding(cornwall_visit, FindingKind.NARRATIVE, "Edge of care support is well coordinated.", order=1)
    return SimpleNamespace(
        cornwall_visit=cornwall_visit,
        rutland=rutland,
        rutland_timeline=[rutland_2023, rutland_visit, rutland_2019, rutland_sif],
        rutland_2023=rutland_2023,
        rutland_supervised=rutland_supervised,
        supervision=supervision,
    )


# Every type of public page, and its address in the archive build_archive() makes.
PAGE_TYPES = {
    "home": lambda data: "/",
    "authority-list": lambda data: "/authorities/",
    "authority": lambda data: data.rutland.get_absolute_url(),
    "inspection": lambda data: data.rutland_2023.get_absolute_url(),
    "search-results": lambda data: f"/findings/?q={PHRASE}",
    "search-no-results": lambda data: "/findings/?q=xylophone",
    "search-filters": lambda data: f"/findings/?q={PHRASE}&theme=supervision&authority=rutland&kind=strength",
    "search-suggestion": lambda data: "/findings/?q=supervison&kind=improvement",
    "search-dates-swapped": lambda data: "/findings/?q=oversight&date_from=2030-01-01&date_to=2000-01-01",
    "search-common-words": lambda data: "/findings/?q=the+and",
    "search-dates": lambda data: "/findings/?q=oversight&date_from=2022&date_to=2023-11",
    "search-dates-wrong": lambda data: (
        "/findings/?q=oversight&date_from_day=31&date_from_month=2&date_from_year=2023"
    ),
    "inspection-title-as-printed": lambda data: data.cornwall_visit.get_absolute_url(),
    "theme-list": lambda data: "/themes/",
    "theme": lambda data: data.supervision.get_absolute_url(),
}
