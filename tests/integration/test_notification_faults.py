"""A smaller run of the faults script (benchmarks/faults.py) in CI: a real Celery worker
and a real Redis this test starts on a free port. Mid-delivery the worker is killed with
SIGKILL and Redis restarts (losing its queue); afterwards every notification must be in
its inbox, none twice."""

import shutil

import pytest
from django.db import connection

from benchmarks import faults
from config.celery import app

from .conftest import skip_or_fail

pytestmark = pytest.mark.integration


@pytest.fixture
def own_broker(postgresql, transactional_db):
    skip_or_fail(None if shutil.which("redis-server") else "redis-server is not installed")
    eager, broker = app.conf.task_always_eager, app.conf.broker_url
    yield
    faults.use_broker(broker)
    app.conf.task_always_eager = eager


def test_no_notification_is_lost_or_duplicated_when_the_worker_dies_and_redis_restarts(own_broker):
    result = faults.run_faults(handovers=40, redis_port=faults.free_port(),
                               database_url=faults.database_url_of(connection),
                               sweep_after=3, sweep_every=2, kill_after_fraction=0.2, timeout=50)
    report = "\n".join(result.lines())
    assert result.created == 80, report
    assert any("SIGKILL" in e for e in result.events) and any("Redis restarted" in e for e in result.events), report
    assert result.undelivered == 0, report
    assert result.delivered == 80, report
    assert result.delivered_twice == 0, report
