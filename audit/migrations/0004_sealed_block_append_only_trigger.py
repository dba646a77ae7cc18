"""On PostgreSQL, refuse UPDATE and DELETE on the sealed blocks at the database itself,
as for the events (0002): a block, once written, is never rewritten."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_sealed_block_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_sealedblock is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_sealed_block_append_only
    BEFORE UPDATE OR DELETE ON audit_sealedblock
    FOR EACH STATEMENT EXECUTE FUNCTION audit_sealed_block_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_sealed_block_append_only ON audit_sealedblock;
DROP FUNCTION IF EXISTS audit_sealed_block_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_sealed_blocks")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
