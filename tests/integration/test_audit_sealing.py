"""Sealing on real PostgreSQL: the append-only trigger on the blocks, events whose
transactions commit out of id order, concurrent sealing runs, and the task in a real worker."""

import threading
import time

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from django.db import DatabaseError, connection, connections, transaction

from audit.models import SealedBlock
from audit.recorder import record
from audit.sealing import unpack_ids
from audit.services import audit_events_seal
from audit.tasks import seal_audit_events
from audit.verification import verify_chain
from config.celery import app

pytestmark = pytest.mark.integration

INSERT = """
INSERT INTO audit_auditevent (occurred_at, actor_username, role, action, outcome, target_type, target_id,
                              legal_basis, request_id, user_agent, changes)
VALUES (now(), '', '', %s, 'ok', '', '', '', '', '', '{}') RETURNING id
"""


@pytest.fixture
def other_session(postgresql, transactional_db):
    """A second session on the test database: another request's transaction, in flight."""
    settings = connection.settings_dict
    session = psycopg.connect(dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"],
                              host=settings["HOST"], port=settings["PORT"] or None)
    yield session
    session.rollback()
    session.close()


def insert_uncommitted(session, action: str) -> int:
    with session.cursor() as cursor:
        cursor.execute(INSERT, [action])
        return cursor.fetchone()[0]


def sealed_ids() -> list[int]:
    return [pk for blob in SealedBlock.objects.order_by("number").values_list("event_ids", flat=True)
            for pk in unpack_ids(blob)]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_sealedblock SET block_hash = repeat('0', 64) WHERE number = 1",
    "DELETE FROM audit_sealedblock WHERE number = 1",
])
def test_it_has_postgresql_refuse_update_and_delete_of_a_sealed_block(postgresql, db, statement):
    record(action="test.event")
    audit_events_seal()
    before = SealedBlock.objects.get().block_hash

    with pytest.raises(DatabaseError) as excinfo:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)

    assert "audit_sealedblock is append-only" in str(excinfo.value)
    assert SealedBlock.objects.get().block_hash == before


def test_it_does_not_skip_an_event_whose_transaction_commits_after_a_later_one(other_session):
    first = record(action="test.first")
    audit_events_seal(wait=0)
    slow = insert_uncommitted(other_session, "test.slow")  # drew its id first, commits last
    fast = record(action="test.fast")
    assert first.pk < slow < fast.pk

    result = audit_events_seal(wait=0.2)

    assert (result.settled, result.events) == (False, 0)  # stops at the gap the slow one holds
    assert sealed_ids() == [first.pk]

    other_session.commit()
    result = audit_events_seal(wait=0.2)

    assert (result.settled, result.events) == (True, 2)
    assert sealed_ids() == [first.pk, slow, fast.pk]
    report = verify_chain()
    assert report.intact and (report.sealed_events, report.unsealed_events) == (3, 0)


def test_it_waits_for_a_transaction_still_writing_and_then_seals_in_id_order(other_session):
    slow = insert_uncommitted(other_session, "test.slow")
    fast = record(action="test.fast")
    committer = threading.Timer(0.3, other_session.commit)
    committer.start()

    started = time.monotonic()
    result = audit_events_seal(wait=10)
    committer.join()

    assert result.settled and time.monotonic() - started >= 0.3
    assert sealed_ids() == [slow, fast.pk]
    assert verify_chain().intact


def test_it_seals_past_the_gap_of_a_rolled_back_transaction(other_session):
    slow = insert_uncommitted(other_session, "test.rolled-back")
    fast = record(action="test.fast")
    other_session.rollback()

    result = audit_events_seal(wait=0.2)

    assert (result.settled, result.events) == (True, 1)
    assert sealed_ids() == [fast.pk] and slow < fast.pk
    report = verify_chain()
    assert report.intact and report.unsealed_events == 0


def test_it_lets_concurrent_sealing_runs_extend_one_chain_without_duplicates(postgresql, transactional_db):
    events = [record(action=f"test.{i}") for i in range(60)]
    barrier = threading.Barrier(3)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(audit_events_seal(block_size=7, wait=1))
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(r.events for r in results) == 60
    assert sealed_ids() == [e.pk for e in events]
    numbers = list(SealedBlock.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 10))
    report = verify_chain()
    assert report.intact and report.sealed_events == 60


def test_it_names_an_event_changed_with_the_trigger_disabled(postgresql, db):
    events = [record(action="test.event", changes={"i": i}) for i in range(3)]
    audit_events_seal()
    with connection.cursor() as cursor:  # what a superuser could do (rolled back with the test)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending on the table
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute("UPDATE audit_auditevent SET user_agent = 'edited' WHERE id = %s", [events[1].pk])
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")

    report = verify_chain()

    assert str(report.first_problem) == f"event {events[1].pk} (block 1) was changed after it was sealed"


def test_it_seals_through_a_real_worker(services, transactional_db):
    event = record(action="test.event")
    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        seal_audit_events.delay()
        deadline = time.monotonic() + 20
        while not SealedBlock.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert sealed_ids() == [event.pk]
