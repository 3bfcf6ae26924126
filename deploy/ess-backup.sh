#!/bin/sh
# Backup of the ESS store, run by deploy/systemd/ess-backup.service (hourly, ess-backup.timer) or by hand:
#   ESS_DATABASE_URL=… /opt/ess/deploy/ess-backup.sh
# SQLite: `manage.py backup` (SQLite's online backup, checked, noted in the audit trail the operations page reads).
# PostgreSQL: `pg_dump --format=custom` (restore with pg_restore); the dump is written beside, then renamed.
# Keeps the ESS_BACKUP_KEEP most recent backups in ESS_BACKUP_DIR; copying them off this machine is left to the
# Région's own backup system.
set -eu

dir="${ESS_BACKUP_DIR:-/var/backups/ess}"
keep="${ESS_BACKUP_KEEP:-48}"
app="${ESS_APP_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
url="${ESS_DATABASE_URL:?ESS_DATABASE_URL manquant (voir /etc/ess/ess.env)}"
stamp="$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$dir"

case "$url" in
  sqlite*)
    cd "$app"
    "$app/.venv/bin/python" manage.py backup "$dir/ess-$stamp.db"
    ;;
  postgresql*)
    # libpq does not know SQLAlchemy's driver suffix (postgresql+psycopg://).
    libpq_url="$(printf '%s' "$url" | sed 's|^postgresql+[a-z0-9]*://|postgresql://|')"
    pg_dump --format=custom --file="$dir/ess-$stamp.dump.partial" "$libpq_url"
    mv "$dir/ess-$stamp.dump.partial" "$dir/ess-$stamp.dump"
    echo "Sauvegarde écrite : $dir/ess-$stamp.dump ($(wc -c < "$dir/ess-$stamp.dump") octets)"
    ;;
  *)
    echo "ESS_DATABASE_URL : base non prise en charge par la sauvegarde ($url)" >&2
    exit 2
    ;;
esac

# The most recent ones kept (names sort by date); the older ones removed.
ls -1 "$dir" | grep -E '^ess-[0-9]{8}-[0-9]{6}\.(db|dump)$' | sort -r | tail -n +"$((keep + 1))" | while read -r old; do
  rm -f "$dir/$old"
done
