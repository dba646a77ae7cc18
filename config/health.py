"""/healthz: is the database reachable, and the broker? JSON, 200 or 503."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _broker() -> str:
    if not settings.REDIS_URL:
        return "in-process"
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database(), "broker": _broker()}
    healthy = all(v in {"ok", "in-process"} for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks},
                        status=200 if healthy else 503)
