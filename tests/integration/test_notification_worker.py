"""A real Celery worker against real Redis delivers what a committed referral enqueued."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from config.celery import app
from referrals.models import Notification, Referral

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(services, transactional_db):
    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        yield
    app.conf.task_always_eager = False


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_it_delivers_the_routing_notice_through_a_real_worker(services, transactional_db, world, api,
                                                             referral_payload, worker):
    response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    assert response.status_code == 201
    referral = Referral.objects.get(reference=response.json()["reference"])
    rows = Notification.objects.filter(referral=referral)

    assert wait_for(lambda: not rows.filter(delivered_at__isnull=True).exists()), "not delivered in time"
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["coordinator", "coordinator2"]
    assert all(rows.values_list("emailed", flat=True))
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.coordinator.email,
                                                          world.second_coordinator.email])
    assert set(rows.values_list("attempts", flat=True)) == {1}
