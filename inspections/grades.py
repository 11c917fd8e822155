"""An authority's latest grade: the overall effectiveness grade of its latest graded inspection.

The latest inspection that graded anything (a focused or monitoring visit grades nothing) says where
an authority stands. Under the 2026 ILACS framework an inspection grades each area but gives no
overall effectiveness grade: an authority whose latest graded inspection is one has no current
overall grade, and the pages say so with that inspection's date rather than show an older grade as
if it were current.
"""

from django.db.models import F

from .choices import InspectionKind, JudgementArea

OVERALL = JudgementArea.OVERALL_EFFECTIVENESS.value
NO_OVERALL_GRADE = "No overall grade"
NO_OVERALL_GRADE_2026 = "No overall grade under the 2026 framework"


def latest_grade_annotations() -> dict:
    """Annotations for authorities: the latest graded inspection (id, date, kind) and its overall
    effectiveness grade (None where it gave none), under the names the pages and the authorities'
    filter have always read (latest_overall_grade, with its own inspection's date and id). Each
    authority's own copies of them (Authority.graded_*), which the database keeps with every write
    to its inspections and judgements (migration 0020: the latest inspection that has any
    judgement, by date, undated last, then the latest added)."""
    return {
        "latest_overall_grade_inspection_id": F("graded_inspection"),
        "latest_overall_grade_date": F("graded_date"),
        "latest_graded_kind": F("graded_kind"),
        "latest_overall_grade": F("graded_overall"),
    }


def no_overall_grade_label(inspection_kind: str | None) -> str:
    """What a graded inspection without an overall grade is called: under ILACS, the 2026 framework."""
    return NO_OVERALL_GRADE_2026 if inspection_kind == InspectionKind.ILACS else NO_OVERALL_GRADE
