#!/usr/bin/env bash
# Regenerates migration 0001 from storage/tables.py (only while 0001 is unreleased).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=src/acgate/storage/migrations/versions
rm -f /tmp/acgate-gen.db "$dir"/0001_*.py
python - <<'PY'
from pathlib import Path
from alembic import command
from acgate.storage.database import alembic_config, open_database, sqlite_url
engine = open_database(sqlite_url(Path("/tmp/acgate-gen.db")))
config = alembic_config()
with engine.begin() as connection:
    config.attributes["connection"] = connection
    command.revision(config, message="the holding area", autogenerate=True, rev_id="0001")
PY
f=$(ls "$dir"/0001_*.py)
sed -i 's/acgate.storage.tables.Instant(timezone=True)/sa.DateTime(timezone=True)/; /### /d' "$f"
python - "$f" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('"""the holding area\n', '"""The holding area: documents, versions, findings, the append-only event log, the ledger.\n')
i = s.index("\n\ndef downgrade")
s = s[:i] + '''
    _append_only_events()


def _append_only_events() -> None:
    """The event log is the audit trail: the database itself refuses to rewrite it."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
            )
    elif op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION acgate_events_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'events are append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION acgate_events_append_only()"
        )''' + s[i:]
open(p, "w").write(s)
PY
ruff format -q "$f"
ruff check -q --fix "$f" || true
