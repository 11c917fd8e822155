"""A small archive for the HTTP tests: four real authorities, eight inspections, about 50 findings.

Each API filter's documented example narrows it (see the EXAMPLES in inspections/api.py), and a few
findings, a title and a theme carry markup, so every page that shows them proves it is escaped.
"""

import datetime
import itertools

from inspections.choices import FindingKind, Grade, InspectionKind, JudgementArea
from inspections.models import Authority, FindingTheme, Theme

from .factories import FindingFactory, InspectionFactory, JudgementFactory

STORED_MARKUP = '<x-stored-probe onmouseover="probe()">'
MARKUP_TEXT = "Leaders wrote <script>alert(1)</script> and <b>bold</b> plans for carers &amp; families."

SENTENCES = [
    "Social workers receive regular reflective supervision from their managers.",
    "Personal advisers are not supervised often enough, so care leavers' pathway plans drift.",
    "Care leavers live in suitable accommodation, and most are in education or work.",
    "Assessments are timely and consider the child's history and lived experience.",
    "Management oversight of decisions at the front door is not consistently recorded.",
    "Children in care are visited regularly and seen alone by their social workers.",
    "Strategy meetings are held promptly when children are at risk of significant harm.",
    "Plans for children in need are not specific enough about what needs to change.",
    "Leaders have a clear understanding of the quality of practice through audit.",
    "Return home interviews for children who go missing are not always completed.",
    "Caseloads are manageable and social workers say they feel well supported.",
    "The local authority's response to domestic abuse is effective and well coordinated.",
]
KINDS = [
    FindingKind.STRENGTH,
    FindingKind.AREA_FOR_IMPROVEMENT,
    FindingKind.NARRATIVE,
    FindingKind.NARRATIVE,
    FindingKind.RECOMMENDATION,
    FindingKind.PRIORITY_ACTION,
    FindingKind.MEETS_REQUIREMENTS,
]
AREAS = [None, JudgementArea.HELP_AND_PROTECTION, JudgementArea.IN_CARE_AND_CARE_LEAVERS]
INSPECTIONS = [
    # authority, kind, start date, overall grade (None: not graded), findings
    ("leeds", InspectionKind.ILACS, datetime.date(2022, 3, 7), Grade.OUTSTANDING, 8),
    ("leeds", InspectionKind.SIF, datetime.date(2015, 1, 12), Grade.GOOD, 6),
    ("rutland", InspectionKind.ILACS, datetime.date(2019, 10, 14), Grade.GOOD, 7),
    ("rutland", InspectionKind.CRA_UNANNOUNCED, datetime.date(2011, 5, 10), None, 5),
    ("cornwall", InspectionKind.ILACS, datetime.date(2023, 2, 6), Grade.REQUIRES_IMPROVEMENT, 8),
    ("cornwall", InspectionKind.FOCUSED_VISIT, datetime.date(2020, 11, 3), None, 4),
    ("birmingham", InspectionKind.SIF, datetime.date(2016, 9, 5), Grade.INADEQUATE, 6),
    ("birmingham", InspectionKind.MONITORING_VISIT, datetime.date(2017, 6, 20), None, 5),
]


def sample_archive() -> dict:
    """Build the archive; return its inspections (in INSPECTIONS order), findings and themes."""
    supervision = Theme.objects.create(slug="supervision", name="Supervision", description="Supervision.")
    care_leavers = Theme.objects.create(
        slug="care-leavers", name=f"Care leavers {STORED_MARKUP}", description=f"Leaving care {STORED_MARKUP}"
    )
    sentences, kinds, areas = itertools.cycle(SENTENCES), itertools.cycle(KINDS), itertools.cycle(AREAS)
    inspections, findings = [], []
    for slug, kind, start, overall, count in INSPECTIONS:
        inspection = InspectionFactory(
            authority=Authority.objects.get(slug=slug),
            kind=kind,
            start_date=start,
            end_date=start + datetime.timedelta(days=4),
            title=f"Inspection of {slug} {STORED_MARKUP}",
            lead_inspector=f"Alex Example {STORED_MARKUP}",
        )
        inspections.append(inspection)
        if overall:
            JudgementFactory(inspection=inspection, area=JudgementArea.OVERALL_EFFECTIVENESS, grade=overall)
            JudgementFactory(inspection=inspection, area=JudgementArea.HELP_AND_PROTECTION, grade=Grade.GOOD)
        for order in range(1, count + 1):
            text = next(sentences)
            finding = FindingFactory(
                inspection=inspection,
                order=order,
                kind=next(kinds),
                area=next(areas),
                section=f"Section {order % 3} {STORED_MARKUP}",
                text=text,
            )
            findings.append(finding)
            if "supervis" in text:
                FindingTheme.objects.create(finding=finding, theme=supervision, matched="supervision")
            if "care leavers" in text.lower():
                FindingTheme.objects.create(finding=finding, theme=care_leavers, matched="care leavers")
    findings.append(
        FindingFactory(inspection=inspections[0], order=100, kind=FindingKind.STRENGTH, text=MARKUP_TEXT)
    )
    return {"inspections": inspections, "findings": findings, "themes": [supervision, care_leavers]}
