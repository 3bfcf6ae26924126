#!/bin/sh
# Backup of the ESS store, run by deploy/systemd/ess-backup.service (hourly, ess-backup.timer) or by hand:
#   ESS_DATABASE_URL=… /opt/ess/deploy/ess-backup.sh
# `manage.py backup` on either store: SQLite's online backup, or a pg_dump archive (PostgreSQL); each is read back
# before it is named, and noted in the audit trail the operations page reads. Restore: `manage.py restore`.
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
  sqlite*) name="ess-$stamp.db" ;;
  postgresql*) name="ess-$stamp.dump" ;;
  *)
    echo "ESS_DATABASE_URL : base non prise en charge par la sauvegarde ($url)" >&2
    exit 2
    ;;
esac
cd "$app"
"$app/.venv/bin/python" manage.py backup "$dir/$name"

# The most recent ones kept (names sort by date); the older ones removed.
ls -1 "$dir" | grep -E '^ess-[0-9]{8}-[0-9]{6}\.(db|dump)$' | sort -r | tail -n +"$((keep + 1))" | while read -r old; do
  rm -f "$dir/$old"
done
