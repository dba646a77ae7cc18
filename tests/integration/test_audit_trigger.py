"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit table."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit.models import AuditEvent
from audit.recorder import record

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditevent SET action = 'tampered' WHERE id = %s",
    "DELETE FROM audit_auditevent WHERE id = %s",
])
def test_it_has_postgresql_refuse_update_and_delete_even_in_raw_sql(postgresql, world, statement):
    event = record(action="test.event", actor=world.coordinator)
    with pytest.raises(DatabaseError) as excinfo:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert "append-only" in str(excinfo.value)
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"
