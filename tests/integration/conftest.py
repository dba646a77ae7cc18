"""Integration tests need real PostgreSQL and Redis. Where they are absent they are
skipped loudly; with SAMVIRKE_REQUIRE_SERVICES=1 (CI) their absence is a failure."""

import os

import pytest
from django.conf import settings
from django.db import connection


def _missing() -> str | None:
    if connection.vendor != "postgresql":
        return "DATABASE_URL does not point at PostgreSQL"
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at REDIS_URL does not answer ({exc.__class__.__name__})"
    return None


def skip_or_fail(reason: str | None) -> None:
    if reason:
        if os.environ.get("SAMVIRKE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"integration services required but missing: {reason}")
        pytest.skip(f"INTEGRATION TEST SKIPPED: {reason}")


@pytest.fixture
def services():
    """Real PostgreSQL and Redis."""
    skip_or_fail(_missing())


@pytest.fixture
def postgresql():
    skip_or_fail(None if connection.vendor == "postgresql" else "DATABASE_URL does not point at PostgreSQL")
