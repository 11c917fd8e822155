from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fixtures" / "seeds"
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_MISSING = f"the real report corpus is not at {CORPUS} (it lives beside the project, not in it)"


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    """Every test stores uploaded and ingested files in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds the real authority table (reference data, loaded once per run)."""
    with django_db_blocker.unblock():
        call_command("loaddata", settings.BASE_DIR / "fixtures" / "authorities.json", verbosity=0)
