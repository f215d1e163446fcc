"""On PostgreSQL the database itself refuses to change or delete a role change record,
whatever code path (a queryset .update(), the shell, raw SQL) tries."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION accounts_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are append-only', TG_TABLE_NAME USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    schema_editor.execute(
        "CREATE TRIGGER accounts_rolechange_append_only BEFORE UPDATE OR DELETE "
        "ON accounts_rolechange FOR EACH ROW EXECUTE FUNCTION accounts_refuse_change()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS accounts_rolechange_append_only ON accounts_rolechange"
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS accounts_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_rolechange")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
