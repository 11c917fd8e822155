"""Theme tagging's third version, carried to existing databases: the assessment theme no longer counts
"assessed need" (a child's needs as assessed, not the quality of an assessment), where its rules are
still the ones shipped (staff edits are kept); then the whole archive is re-tagged with the current
rules and the retrained model (inspections/theme_model.json), whose thresholds and weights changed."""

from django.db import migrations

from inspections.models import rule_lines
from inspections.themes import retag_archive

SLUG = "assessment"
ADDED = "assessed need"
# The assessment theme's exclusions as shipped by migration 0009 and fixtures/themes.json before this.
SHIPPED = [
    "analysis of data",
    "health assessment",
    "initial health assessment",
    "review health assessment",
    "self-assessment",
    "self assessment",
    "joint strategic needs assessment",
    "needs assessment",
    "viability assessment",
    "assessment team",
    "assessment service",
    "referral and assessment",
    "common assessment framework",
    "foster carer assessment",
    "assessment of foster carers",
    "performance assessment",
    "referral, assessment and intervention",
]


def _exclusions(apps, before: list[str], after: list[str]) -> None:
    Theme = apps.get_model("inspections", "Theme")
    theme = Theme.objects.filter(slug=SLUG).first()
    if theme and rule_lines(theme.exclusions) == before:
        theme.exclusions = "\n".join(after)
        theme.save(update_fields=["exclusions"])
    if Theme.objects.exists():
        retag_archive()


def forwards(apps, schema_editor):
    _exclusions(apps, SHIPPED, [*SHIPPED, ADDED])


def backwards(apps, schema_editor):
    _exclusions(apps, [*SHIPPED, ADDED], SHIPPED)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0012_stagedreport")]

    operations = [migrations.RunPython(forwards, backwards)]
