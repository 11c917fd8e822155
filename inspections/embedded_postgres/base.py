"""Django's PostgreSQL backend, pointed at the embedded server (started on first connection)."""

import psycopg
from django.db.backends.postgresql import base
from psycopg import sql

from . import ensure_server


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        server = ensure_server(self.settings_dict["OPTIONS"]["pgdata"])
        params = super().get_connection_params()
        params.pop("pgdata", None)
        params.update(host=server.socket_dir, port=server.port, user=self.settings_dict["USER"] or "postgres")
        return params

    def get_new_connection(self, conn_params):
        try:
            return super().get_new_connection(conn_params)
        except psycopg.OperationalError as error:
            if "does not exist" not in str(error) or conn_params.get("dbname") in (None, "postgres"):
                raise
            self._create_database(conn_params)
            return super().get_new_connection(conn_params)

    @staticmethod
    def _create_database(conn_params):
        """The archive's own database is made on first use, like the cluster itself."""
        admin_params = {**conn_params, "dbname": "postgres"}
        with psycopg.connect(**admin_params, autocommit=True) as connection:
            name = sql.Identifier(conn_params["dbname"])
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
