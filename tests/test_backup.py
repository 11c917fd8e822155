"""The archive survives the loss of its database: backup and restore, and a rebuild from the stored files."""

import pytest
from django.conf import settings

from .conftest import SEEDS, python

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "inspections.embedded_postgres",
    reason="these tests run a PostgreSQL server of their own, which needs the embedded one",
)
COUNTS = (
    "from inspections.models import Inspection, Finding, Judgement; "
    "print(Inspection.objects.count(), Finding.objects.count(), Judgement.objects.count(), "
    "sorted(i.source_file.name for i in Inspection.objects.all()))"
)


def counts(env):
    result = python("manage.py", "shell", "--no-imports", "-c", COUNTS, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def empty_the_database(env):
    wipe = "from inspections.models import Inspection; Inspection.objects.all().delete()"
    assert python("manage.py", "shell", "--no-imports", "-c", wipe, env=env, timeout=60).returncode == 0


@pytest.fixture
def archive(own_server, tmp_path):
    _, env = own_server
    env = {**env, "MEDIA_ROOT": str(tmp_path / "media")}
    assert python("manage.py", "loaddata", "fixtures/authorities.json", env=env, timeout=120).returncode == 0
    ingest = python("manage.py", "ingest", str(SEEDS), "--no-progress", env=env, timeout=120)
    assert "Ingested 5" in ingest.stdout, ingest.stderr
    return env, tmp_path


def test_backup_and_restore_bring_back_every_row_and_file(archive):
    env, tmp_path = archive
    before = counts(env)
    backup = python("manage.py", "backup", str(tmp_path / "backup"), env=env, timeout=120)
    assert backup.returncode == 0, backup.stderr

    empty_the_database(env)
    for stored in (tmp_path / "media").rglob("*.txt"):
        stored.unlink()
    assert counts(env).startswith("0 0 0")

    restore = python("manage.py", "restore", str(tmp_path / "backup"), env=env, timeout=120)
    assert restore.returncode == 0, restore.stderr
    assert counts(env) == before
    assert len(list((tmp_path / "media").rglob("*.txt"))) == 5


def test_the_archive_can_be_rebuilt_from_the_stored_files_alone(archive):
    env, tmp_path = archive
    before = counts(env)
    stored = tmp_path / "stored-copy"
    (tmp_path / "media").rename(stored)
    empty_the_database(env)

    rebuild = python("manage.py", "ingest", str(stored), "--reparse", "--no-progress", env=env, timeout=120)

    assert "Ingested 5" in rebuild.stdout, rebuild.stderr
    inspections, findings, judgements, _ = before.split(" ", 3)
    assert counts(env).split(" ", 3)[:3] == [inspections, findings, judgements]
