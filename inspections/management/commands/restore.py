import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from inspections.models import Finding, Inspection

from .backup import DUMP, MEDIA, connection_arguments, postgres_tool


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` into the archive's database (replacing what is there) "
        "and its media folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        if not (folder / DUMP).exists() or not (folder / MEDIA).exists():
            raise CommandError(f"{folder} is not a backup: it needs {DUMP} and {MEDIA}.")
        arguments, env = connection_arguments()
        connection.close()  # pg_restore --clean drops tables this connection may hold open
        restore = subprocess.run(
            [
                postgres_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                *arguments,
                str(folder / DUMP),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if restore.returncode != 0:
            raise CommandError(f"pg_restore failed: {restore.stderr.strip()}")
        media = Path(settings.MEDIA_ROOT)
        media.mkdir(parents=True, exist_ok=True)
        with tarfile.open(folder / MEDIA, "r:gz") as archive:
            archive.extractall(media, filter="data")  # "data": no absolute paths, links out or devices
        self.stdout.write(
            f"Restored {Inspection.objects.count()} inspections and {Finding.objects.count()} findings from {folder}."
        )
