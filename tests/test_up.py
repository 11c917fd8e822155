"""manage.py up says what it did (migrations, authorities, themes, seed reports) and what to do next."""

import io
import json

import pytest
from django.core.management import call_command

from inspections.models import Theme

from .conftest import ROOT

pytestmark = pytest.mark.django_db
THEMES = sum(
    item["model"] == "inspections.theme" for item in json.loads((ROOT / "fixtures/themes.json").read_text())
)


def up(*args) -> list[str]:
    out = io.StringIO()
    call_command("up", *args, "--no-serve", stdout=out)
    return out.getvalue().splitlines()


def test_up_says_what_it_did_then_what_to_do_next():
    first = up()

    assert first[:5] == [
        "Database:     up to date.",
        "Authorities:  161 loaded (reference data, kept current).",
        f"Themes:       {THEMES} loaded, and the archive tagged with them.",
        "Seed reports: 5 ingested, 0 unchanged.",
        f"The archive:  5 inspections, {first[4].split(', ')[1]}",
    ]
    assert first[4].endswith(" findings.") and not first[4].endswith(" 0 findings.")
    assert first[5:] == [
        "",
        "Next:",
        "  python3 manage.py up                serves the site at http://127.0.0.1:8000/",
        "  python3 manage.py createsuperuser   makes a staff user, who uploads reports at "
        "http://127.0.0.1:8000/admin/",
    ]
    assert Theme.objects.count() == THEMES


def test_up_again_keeps_the_themes_and_skips_the_seeds_it_has():
    up()
    Theme.objects.filter(slug="supervision").update(name="Supervision (edited)")

    again = up("8001")

    assert f"Themes:       {THEMES} kept as they are (staff may have edited their rules)." in again
    assert "Seed reports: 0 ingested, 5 unchanged." in again
    assert again[-2].endswith("serves the site at http://127.0.0.1:8001/")
    assert again[-1].endswith("who uploads reports at http://127.0.0.1:8001/admin/")
    assert Theme.objects.get(slug="supervision").name == "Supervision (edited)"
