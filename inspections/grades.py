"""An authority's latest grade: the overall effectiveness grade of its latest graded inspection.

The latest inspection that graded anything (a focused or monitoring visit grades nothing) says where
an authority stands. Under the 2026 ILACS framework an inspection grades each area but gives no
overall effectiveness grade: an authority whose latest graded inspection is one has no current
overall grade, and the pages say so with that inspection's date rather than show an older grade as
if it were current.
"""

from django.db.models import Exists, F, OuterRef, Subquery

from .choices import InspectionKind, JudgementArea
from .models import Inspection, Judgement

OVERALL = JudgementArea.OVERALL_EFFECTIVENESS.value
NO_OVERALL_GRADE = "No overall grade"
NO_OVERALL_GRADE_2026 = "No overall grade under the 2026 framework"


def _latest_graded(field: str) -> Subquery:
    graded = Inspection.objects.filter(authority=OuterRef("pk")).filter(
        Exists(Judgement.objects.filter(inspection=OuterRef("pk")))
    )
    return Subquery(graded.order_by(F("date").desc(nulls_last=True), "-pk").values(field)[:1])


def latest_grade_annotations() -> dict:
    """Annotations for authorities: the latest graded inspection (id, date, kind) and its overall
    effectiveness grade (None where it gave none). Used under the names the pages and the authorities'
    filter have always read (latest_overall_grade, with its own inspection's date and id)."""
    return {
        "latest_overall_grade_inspection_id": _latest_graded("pk"),
        "latest_overall_grade_date": _latest_graded("date"),
        "latest_graded_kind": _latest_graded("kind"),
        "latest_overall_grade": Subquery(
            Judgement.objects.filter(
                inspection=OuterRef("latest_overall_grade_inspection_id"), area=OVERALL
            ).values("grade")[:1]
        ),
    }


def no_overall_grade_label(inspection_kind: str | None) -> str:
    """What a graded inspection without an overall grade is called: under ILACS, the 2026 framework."""
    return NO_OVERALL_GRADE_2026 if inspection_kind == InspectionKind.ILACS else NO_OVERALL_GRADE
