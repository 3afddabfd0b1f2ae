"""Database URL for the SMS demo app (shared by app.py and alembic/env.py)."""
import os

from sqlalchemy.engine import URL


def database_url() -> str:
    """DATABASE_URL if set, else built from POSTGRES_* variables."""
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgres://"):
            url = "postgresql+psycopg2://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg2://" + url[len("postgresql://"):]
        return url
    return URL.create(
        "postgresql+psycopg2",
        username=os.environ.get("POSTGRES_USER", "sms_user"),
        password=os.environ.get("POSTGRES_PASSWORD"),
        host=os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        port=int(os.environ.get("POSTGRES_PORT", os.environ.get("PGPORT", "5432"))),
        database=os.environ.get("POSTGRES_DB", "sms_db"),
    ).render_as_string(hide_password=False)
