"""Shared set-up for benchmark scripts: a database of their own, Django, migrations.

Benchmarks never touch the development or test database: they use BENCH_DATABASE_URL
(default: a `samvirke_bench` database on the local PostgreSQL), created if missing.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/samvirke_bench"


def _ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def django_for_benchmarks(*, reset: bool = False) -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("Benchmarks run on PostgreSQL: set BENCH_DATABASE_URL=postgres://...")
    if reset:
        import psycopg

        parsed = urlparse(url)
        with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}" WITH (FORCE)')
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ["EMAIL_URL"] = "dummymail://"
    # One client sends thousands of requests: measure the request path, not the API's rate
    # limits (which would answer 429 after a few hundred a minute).
    for scope in ("USER", "ANON", "TOKEN"):
        os.environ[f"SAMVIRKE_API_RATE_{scope}"] = "1000000/second"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    # The request path only enqueues notifications (as with a real broker); delivery is a
    # worker's job and not part of what is measured.
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
