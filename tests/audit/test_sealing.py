"""Sealing the audit trail into hash-chained blocks, and verify_audit naming what was
tampered with. The tampering goes around the application as a database superuser would:
raw SQL, and on PostgreSQL with the append-only triggers bypassed
(session_replication_role = replica); on SQLite there is no trigger to bypass."""

import hashlib
import json
from contextlib import contextmanager
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

import audit.services
from audit.models import AppendOnlyError, AuditEvent, SealedBlock
from audit.recorder import record
from audit.sealing import (
    CANONICAL_COLUMNS, GENESIS_HASH, SELECT_COLUMNS, canonical_bytes, event_digest, split_digests, unpack_ids,
)
from audit.services import audit_events_seal
from audit.tasks import seal_audit_events
from audit.verification import verify_chain
from config.celery import app


@contextmanager
def superuser_sql():
    """A cursor that writes where the application may not."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def make_events(world, n: int) -> list[AuditEvent]:
    return [
        record(action="referral.read", actor=world.coordinator, membership=world.coordinator.memberships.first(),
               target_type="referrals.referral", target_id=i, child_id=1000 + i, legal_basis="bvl-13-2",
               changes={"n": i, "fields": ["concern", "urgency"]})
        for i in range(n)
    ]


def verify() -> tuple[str, str]:
    """Run the command; return (stdout, the error) - the error is '' when the trail is intact."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue() + err.getvalue(), str(exc)
    return out.getvalue(), ""


def row_of(pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {SELECT_COLUMNS} FROM audit_auditevent WHERE id = %s", [pk])
        return cursor.fetchone()


# --- sealing -----------------------------------------------------------------------------

def test_it_seals_events_in_id_order_into_bounded_hash_chained_blocks(world):
    events = make_events(world, 25)

    result = audit_events_seal(block_size=10)

    assert (result.blocks, result.events, result.settled) == (3, 25, True)
    blocks = list(SealedBlock.objects.order_by("number"))
    assert [(b.number, b.event_count) for b in blocks] == [(1, 10), (2, 10), (3, 5)]
    assert [(b.first_event_id, b.last_event_id) for b in blocks] == [
        (events[0].pk, events[9].pk), (events[10].pk, events[19].pk), (events[20].pk, events[24].pk)]
    assert [b.previous_hash for b in blocks] == [GENESIS_HASH, blocks[0].block_hash, blocks[1].block_hash]
    # The block hash, recomputed by hand from the definition: H(domain, previous hash, each
    # event's length-prefixed canonical bytes in id order).
    previous = GENESIS_HASH
    for block, chunk in zip(blocks, [events[0:10], events[10:20], events[20:25]], strict=True):
        digest = hashlib.sha256(b"samvirke-audit-block-v1\n" + bytes.fromhex(previous))
        for event in chunk:
            canonical = canonical_bytes(row_of(event.pk))
            digest.update(len(canonical).to_bytes(4, "big") + canonical)
        assert block.block_hash == digest.hexdigest()
        assert list(unpack_ids(block.event_ids)) == [e.pk for e in chunk]
        assert split_digests(block.event_digests) == [event_digest(canonical_bytes(row_of(e.pk))) for e in chunk]
        previous = block.block_hash


def test_it_seals_nothing_twice_and_links_the_next_run_to_the_last_block(world):
    make_events(world, 4)
    audit_events_seal()
    first = SealedBlock.objects.get()

    assert audit_events_seal().blocks == 0
    later = make_events(world, 2)
    result = audit_events_seal()

    assert (result.blocks, result.events) == (1, 2)
    second = SealedBlock.objects.get(number=2)
    assert second.previous_hash == first.block_hash
    assert (second.first_event_id, second.last_event_id, second.event_count) == (later[0].pk, later[1].pk, 2)


def test_it_seals_only_the_gap_free_part_while_transactions_may_still_commit(world, monkeypatch):
    events = make_events(world, 6)
    with superuser_sql() as cursor:  # event 3 not visible (yet): a gap
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
    high = events[-1].pk
    monkeypatch.setattr(audit.services, "settled_horizon", lambda wait: (events[0].pk, True))
    audit_events_seal()  # the chain so far ends at event 0
    monkeypatch.setattr(audit.services, "settled_horizon", lambda wait: (high, False))
    result = audit_events_seal()
    assert (result.blocks, result.events, result.settled) == (1, 2, False)
    assert list(unpack_ids(SealedBlock.objects.get(number=2).event_ids)) == [events[1].pk, events[2].pk]
    assert audit_events_seal().events == 0  # still unsettled: waits at the gap

    monkeypatch.setattr(audit.services, "settled_horizon", lambda wait: (high, True))
    assert audit_events_seal().events == 2  # the gap is settled: sealed past it
    assert list(unpack_ids(SealedBlock.objects.get(number=3).event_ids)) == [e.pk for e in events[4:]]


def test_it_runs_sealing_as_the_celery_task_beat_schedules_every_minute(world):
    make_events(world, 3)
    schedule = settings.CELERY_BEAT_SCHEDULE["seal-audit-events"]
    assert schedule["task"] == "audit.tasks.seal_audit_events" and schedule["task"] in app.tasks
    assert schedule["schedule"].total_seconds() == 60

    assert seal_audit_events.apply().get() == "sealed 3 events in 1 blocks"
    assert SealedBlock.objects.get().event_count == 3


def test_it_refuses_to_change_or_delete_a_block_through_the_orm(world):
    make_events(world, 2)
    audit_events_seal()
    block = SealedBlock.objects.get()
    with pytest.raises(AppendOnlyError):
        block.save()
    with pytest.raises(AppendOnlyError):
        block.delete()
    with pytest.raises(AppendOnlyError):
        SealedBlock.objects.update(block_hash="0" * 64)
    with pytest.raises(AppendOnlyError):
        SealedBlock.objects.all().delete()


# --- the canonical form ------------------------------------------------------------------

def test_it_puts_every_stored_field_of_an_event_in_the_canonical_form():
    assert set(CANONICAL_COLUMNS) == {f.column for f in AuditEvent._meta.concrete_fields}
    assert len(CANONICAL_COLUMNS) == len(set(CANONICAL_COLUMNS))


@pytest.mark.parametrize("column", CANONICAL_COLUMNS)
def test_it_changes_the_canonical_bytes_when_any_field_changes(world, column):
    event = make_events(world, 1)[0]
    row = list(row_of(event.pk))
    before = canonical_bytes(row)
    index = CANONICAL_COLUMNS.index(column)
    value = row[index]
    row[index] = {
        "occurred_at": lambda v: v.replace(microsecond=(v.microsecond + 1) % 1_000_000),
        "ip_address": lambda v: "10.9.9.9",
        "changes": lambda v: json.dumps({"n": 1}),
    }.get(column, lambda v: (v + 1) if isinstance(v, int) else (1 if v is None else v + "x"))(value)
    assert canonical_bytes(row) != before


def test_it_gives_the_same_bytes_whatever_the_key_order_or_time_zone(world):
    event = make_events(world, 1)[0]
    row = list(row_of(event.pk))
    canonical = canonical_bytes(row)
    row[CANONICAL_COLUMNS.index("changes")] = '{"fields": ["concern", "urgency"], "n": 0}'
    from zoneinfo import ZoneInfo

    row[1] = event.occurred_at.astimezone(ZoneInfo("Europe/Oslo"))
    assert canonical_bytes(row) == canonical
    assert json.loads(canonical)[:3] == [event.pk, event.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                                         world.coordinator.pk]
    row[1] = row[1].replace(microsecond=0)
    assert json.loads(canonical_bytes(row))[1] == event.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- verify_audit ------------------------------------------------------------------------

def test_it_verifies_an_intact_trail_and_counts_what_is_not_sealed_yet(world):
    make_events(world, 12)
    audit_events_seal(block_size=5)
    make_events(world, 2)

    output, error = verify()

    assert error == ""
    assert output.startswith("Audit trail intact: 3 blocks, 12 sealed events, 2 events not sealed yet; 12 events checked")
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.outcome, event.actor) == ("audit.verified", "ok", None)
    assert event.changes == {"blocks": 3, "sealed_events": 12, "unsealed_events": 2, "problems": {},
                             "first_problem": ""}


def test_it_verifies_an_empty_trail(db):
    output, error = verify()
    assert error == "" and output.startswith("Audit trail intact: 0 blocks, 0 sealed events, 0 events not sealed yet")


@pytest.mark.parametrize("column", ["action", "actor_username", "child_id", "occurred_at", "changes",
                                    "ip_address"])
def test_it_names_the_first_event_whose_field_was_changed(world, column):
    events = make_events(world, 12)
    audit_events_seal(block_size=5)
    target = events[6]  # in block 2
    value = {"action": "referral.created", "actor_username": "someone.else", "child_id": 4242,
             "occurred_at": target.occurred_at.replace(year=2020), "changes": '{"n": 99}',
             "ip_address": "192.0.2.1"}[column]
    with superuser_sql() as cursor:
        for event in (target, events[9]):
            cursor.execute(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, event.pk])

    output, error = verify()

    assert error == f"first problem: event {target.pk} (block 2) was changed after it was sealed"
    assert "AUDIT TRAIL BROKEN" in output and "changed: 2" in output
    assert f"event {events[9].pk} (block 2) was changed" in output
    failed = AuditEvent.objects.order_by("-id").first()
    assert (failed.action, failed.outcome) == ("audit.verified", "failed")
    assert failed.changes["first_problem"] == f"event {target.pk} (block 2) was changed after it was sealed"


def test_it_names_a_removed_event(world):
    events = make_events(world, 12)
    audit_events_seal(block_size=5)
    with superuser_sql() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [events[10].pk, events[11].pk])

    output, error = verify()

    assert error == f"first problem: event {events[10].pk} (block 3) was removed"
    assert "Problems: removed: 2\n" in output  # and no block or link problem on top


def test_it_names_reordered_events(world):
    events = make_events(world, 10)
    audit_events_seal(block_size=10)
    a, b = events[3].pk, events[7].pk
    with superuser_sql() as cursor:  # the two rows swap ids: their order in the trail changes
        cursor.execute("UPDATE audit_auditevent SET id = -1 WHERE id = %s", [a])
        cursor.execute("UPDATE audit_auditevent SET id = %s WHERE id = %s", [a, b])
        cursor.execute("UPDATE audit_auditevent SET id = %s WHERE id = -1", [b])

    output, error = verify()

    assert error == f"first problem: event {a} (block 1) holds what was sealed as event {b}: events were reordered"
    assert f"event {b} (block 1) holds what was sealed as event {a}" in output


def test_it_names_an_altered_block_and_a_broken_link(world):
    make_events(world, 15)
    audit_events_seal(block_size=5)
    with superuser_sql() as cursor:
        cursor.execute("UPDATE audit_sealedblock SET block_hash = %s WHERE number = 2", ["ab" * 32])

    output, error = verify()

    assert error == "first problem: block 2 was altered: its hash or range does not match the events it sealed"
    assert "block 3 does not link to the block before it" in output


def test_it_names_a_block_whose_record_is_garbled_without_failing_itself(world):
    make_events(world, 10)
    audit_events_seal(block_size=5)
    with superuser_sql() as cursor:
        cursor.execute("UPDATE audit_sealedblock SET previous_hash = 'not hex', event_ids = %s WHERE number = 2",
                       [b"\x00\x01\x02"])

    output, error = verify()

    assert error == "first problem: block 2 does not link to the block before it (missing or altered block)"
    assert "block 2 was altered" in output


def test_it_names_a_removed_block(world):
    make_events(world, 15)
    audit_events_seal(block_size=5)
    with superuser_sql() as cursor:
        cursor.execute("DELETE FROM audit_sealedblock WHERE number = 2")

    output, error = verify()

    assert error == "first problem: block 3 does not link to the block before it (missing or altered block)"


def test_it_reports_an_event_inserted_into_a_sealed_range(world):
    events = make_events(world, 5)
    with superuser_sql() as cursor:  # id of event 2 is free before sealing...
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    audit_events_seal()
    assert list(unpack_ids(SealedBlock.objects.get().event_ids)) == [e.pk for e in events if e is not events[2]]
    AuditEvent(id=events[2].pk, action="backdated").save(force_insert=True)  # ...and is filled in afterwards

    output, error = verify()

    assert error == f"first problem: event {events[2].pk} was inserted into the already sealed range of block 1"
    assert "inserted: 1" in output


def test_it_checks_the_whole_chain_in_chunks_and_reports_progress(world):
    make_events(world, 23)
    audit_events_seal(block_size=4)
    seen = []

    report = verify_chain(progress=seen.append, chunk_size=3)

    assert report.intact and (report.blocks, report.checked_events, report.unsealed_events) == (6, 23, 0)
    assert sum(seen) == 23


def test_it_keeps_numbers_exact_and_text_as_it_is_in_the_canonical_form(world):
    event = record(action="test.numbers",
                   changes={"count": 2**70, "ratio": 0.1, "note": "æøå \u2028", "nested": {"b": 1, "a": None}})
    audit_events_seal()
    row = row_of(event.pk)
    assert ('{"count":1180591620717411303424,"nested":{"a":null,"b":1},"note":"æøå \u2028","ratio":0.1}'
            .encode() in canonical_bytes(row))
    # A change beyond what a float can tell apart still changes the bytes.
    changed = list(row)
    changed[-1] = '{"count": 1180591620717411303425, "nested": {"a": null, "b": 1}, "note": "æøå \u2028", "ratio": 0.1}'
    assert canonical_bytes(changed) != canonical_bytes(row)
    changed[-1] = '{"count": 1180591620717411303424, "nested": {"a": null, "b": 1}, "note": "æøå \u2028", ' \
                  '"ratio": 0.10000000000000000001}'
    assert canonical_bytes(changed) != canonical_bytes(row)

    output, error = verify()

    assert error == "" and "1 sealed events" in output


def test_it_has_a_deterministic_form_for_text_orjson_refuses():
    row = (1, "2026-01-02T03:04:05.000006+00:00", None, "bad \ud800", None, "", "a", "ok", "", "", None, "",
           "", None, "", '{"n": 1.50, "s": "\\ud800"}')
    first = canonical_bytes(row)
    assert first == canonical_bytes(row)
    assert first.startswith(b'[1,"2026-01-02T03:04:05.000006Z",null,"bad \\ud800"')
    assert b'{"n":{"$number":"1.50"}' in first


def test_it_shows_a_progress_bar_on_a_terminal_only(world, monkeypatch):
    make_events(world, 3)
    audit_events_seal()

    class Terminal(StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    call_command("verify_audit", stdout=StringIO())
    assert "verifying: 100%" in terminal.getvalue() and "3.00/3.00" in terminal.getvalue()

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    call_command("verify_audit", "--no-progress", stdout=StringIO())
    assert terminal.getvalue() == ""


def test_it_shows_the_chain_read_only_to_superusers_in_the_admin(world, client, django_user_model):
    make_events(world, 3)
    audit_events_seal()
    block = SealedBlock.objects.get()
    admin = django_user_model.objects.create_superuser("drift", "drift@example.org", "x-Secret-123")
    client.force_login(admin)

    listing = client.get("/admin/audit/sealedblock/")
    detail = client.get(f"/admin/audit/sealedblock/{block.pk}/change/")
    changed = client.post(f"/admin/audit/sealedblock/{block.pk}/change/", {"block_hash": "0" * 64})

    assert listing.status_code == 200 and block.block_hash in listing.content.decode()
    assert detail.status_code == 200 and block.previous_hash in detail.content.decode()
    assert changed.status_code == 403
    assert client.get(f"/admin/audit/sealedblock/{block.pk}/delete/").status_code == 403
    assert SealedBlock.objects.get().block_hash == block.block_hash
