from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inspections.embedded_postgres import running_server, stop_server


class Command(BaseCommand):
    help = "Show or stop the embedded PostgreSQL server (used when DATABASE_URL is not set)."
    # The system checks connect to the database, which would start the server this command reports
    # on (a stopped server would be shown as running, and stopped twice at exit).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "stop"])

    def handle(self, *args, action: str, **options):
        database = settings.DATABASES["default"]
        if database["ENGINE"] != "inspections.embedded_postgres":
            raise CommandError("DATABASE_URL is set: the archive uses that server, not the embedded one.")
        pgdata = database["OPTIONS"]["pgdata"]
        server = running_server(pgdata)
        if server is None:
            self.stdout.write(f"The embedded server is not running (data in {pgdata}).")
        elif action == "status":
            self.stdout.write(
                f"The embedded server is running: pid {server.pid}, socket {server.socket_dir}, data in {pgdata}."
            )
        else:
            stop_server(pgdata)
            self.stdout.write("The embedded server has stopped.")
