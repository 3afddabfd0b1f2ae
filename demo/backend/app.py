"""SMS (Student Management System) demo web service.

A tiny stdlib HTTP server standing in for the runbook's sms-web container.
  GET /health     200 {"status": "healthy", "database": "connected"}
                  503 {"status": "unhealthy", "database": "disconnected"}
  GET /api/stats  row counts of the main tables
  GET /           a short description
Listens on SMS_WEB_HOST:SMS_WEB_PORT (default 127.0.0.1:8000).
"""
import json
import logging
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import create_engine, text

from db import database_url

log = logging.getLogger("sms-web")
ENGINE = create_engine(
    database_url(),
    pool_pre_ping=True,
    pool_size=2,
    max_overflow=2,
    connect_args={"connect_timeout": 3, "application_name": "sms-web"},
)
TABLES = ("users", "students", "courses", "enrollments", "audit_log")


def db_ok() -> bool:
    try:
        with ENGINE.connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
        return True
    except Exception as exc:  # noqa: BLE001 - any failure means "disconnected"
        log.warning("health check: database unavailable: %s", str(exc).splitlines()[0])
        return False


def stats() -> dict:
    out = {}
    with ENGINE.connect() as conn:
        for table in TABLES:
            out[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        out["alembic_revision"] = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return out


class Handler(BaseHTTPRequestHandler):
    server_version = "sms-web/1.17.6"

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        path = self.path.split("?", 1)[0]
        if path in ("/health", "/healthz", "/api/health"):
            if db_ok():
                self._send(200, {"status": "healthy", "database": "connected"})
            else:
                self._send(503, {"status": "unhealthy", "database": "disconnected"})
        elif path == "/api/stats":
            try:
                self._send(200, stats())
            except Exception as exc:  # noqa: BLE001
                self._send(503, {"error": str(exc).splitlines()[0]})
        elif path == "/":
            self._send(200, {"service": "sms-web", "version": "1.17.6", "endpoints": ["/health", "/api/stats"]})
        else:
            self._send(404, {"error": "not found"})

    do_HEAD = do_GET

    def log_message(self, fmt: str, *args) -> None:
        log.info("%s %s", self.address_string(), fmt % args)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stdout)
    host = os.environ.get("SMS_WEB_HOST", "127.0.0.1")
    port = int(os.environ.get("SMS_WEB_PORT", "8000"))
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True

    def stop(_signum, _frame):
        log.info("shutting down")
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("listening on http://%s:%d", host, port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        ENGINE.dispose()


if __name__ == "__main__":
    main()
