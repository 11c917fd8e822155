"""Browsing by finding type, grade or inspection type counts from an index of that column alone, and
the planner's statistics of the findings' words are three times as detailed.

The indexes: an exact count of one finding type read every entry of finding_newest (the whole
archive) to keep a few thousand; at a million findings a common word with a finding type read each
of its 37,000 matches from the table to keep 4,900 (58 ms), where the word's index and the type's
index together point at the 4,900 alone (27 ms).

The statistics: with PostgreSQL's default (100), any word outside the thousand or so most common
was guessed to match a fifth of one per cent of the findings (2,000 at a million; "homophobic"
matches 99), so the planner read a whole finding type's index beside the word's (4 ms) rather than
check the word's few matches. At 300 it keeps three times as many words and guesses the rest at a
few dozen. Planning a text search takes 0.05 ms longer (0.16 -> 0.21 ms; 0.24 at 1,000, which
chose the same plans for the words tried), and ANALYZE of a million findings about 6 s.
"""

from django.db import migrations, models

STATISTICS = "ALTER TABLE inspections_finding ALTER COLUMN search_vector SET STATISTICS {};"


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0015_email_alerts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(fields=["kind"], name="finding_kind"),
        ),
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(fields=["grade"], name="finding_grade"),
        ),
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(fields=["inspection_kind"], name="finding_inspection_kind"),
        ),
        migrations.RunSQL(
            STATISTICS.format(300) + " ANALYZE inspections_finding;",
            STATISTICS.format(-1),
        ),
    ]
