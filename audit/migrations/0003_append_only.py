from __future__ import annotations

from django.db import migrations

# One trigger function serves every append-only table (audit events here, ledger entries in accounts).
# TRUNCATE is left alone: only the test database is ever truncated.
FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_change_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused (post a correcting entry instead)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
"""

TRIGGER = """
CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
FOR EACH ROW EXECUTE FUNCTION refuse_change_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS refuse_change_append_only() CASCADE;"),
        migrations.RunSQL(TRIGGER, "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;"),
    ]
