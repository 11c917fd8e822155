"""Re-tag the archive now that tagging weighs the rules' matches with the learned theme model
(inspections/theme_model.py): no schema change, only the tags."""

from django.db import migrations

from inspections.themes import retag_archive


def forwards(apps, schema_editor):
    retag_archive()


class Migration(migrations.Migration):
    dependencies = [("inspections", "0009_theme_rules_from_shared_labels")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
