from __future__ import annotations

from django.db import migrations

TRIGGER = """
CREATE TRIGGER accounts_ledgerentry_append_only BEFORE UPDATE OR DELETE ON accounts_ledgerentry
FOR EACH ROW EXECUTE FUNCTION refuse_change_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial"), ("audit", "0003_append_only")]

    operations = [
        migrations.RunSQL(TRIGGER, "DROP TRIGGER IF EXISTS accounts_ledgerentry_append_only ON accounts_ledgerentry;"),
    ]
