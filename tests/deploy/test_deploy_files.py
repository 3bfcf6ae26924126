"""The files of deploy/ a Région's IT installs: every setting named, units systemd accepts, the backup script.

Rendering and running nginx is tested with the two replicas (test_two_replicas.py): it needs Debian's nginx.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SITE_CONF = DEPLOY / "nginx" / "ess.conf"


def test_the_env_example_names_every_setting_of_the_app() -> None:
    text = (DEPLOY / "ess.env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?(ESS_[A-Z0-9_]+)=", text, flags=re.MULTILINE))
    expected = {f"ESS_{name.upper()}" for name in Settings.model_fields}
    assert expected <= named, sorted(expected - named)
    assert re.search(r"^FORWARDED_ALLOW_IPS=", text, flags=re.MULTILINE)


def test_the_site_config_lists_its_placeholders_and_carries_nothing_of_the_tests() -> None:
    text = SITE_CONF.read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{(ESS_[A-Z_]+)\}", text.split("\n# ---", 1)[1]))
    envsubst_line = text.split("envsubst '", 1)[1].split("'", 1)[0]
    assert used == set(re.findall(r"\$\{(ESS_[A-Z_]+)\}", envsubst_line))
    assert "X-Ess-Upstream" not in text and "real_ip" not in text
    directives = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert "ip_hash" not in directives and "hash $ess_route consistent;" in directives
    # add_header lines only at server level: a location with one of its own would drop the security headers.
    for location in re.findall(r"location [^{]+\{([^}]*)\}", text):
        assert "add_header" not in location and "proxy_set_header" not in location


def test_nginx_takes_uploads_as_large_as_streamlit_does() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    match = re.search(r"client_max_body_size (\d+)m;", SITE_CONF.read_text(encoding="utf-8"))
    assert match is not None
    assert config["server"]["maxUploadSize"] <= int(match.group(1)) <= config["server"]["maxUploadSize"] + 2


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` (systemd need not be running): directives, sections, the timer's unit, and that
    each ExecStart program exists — the units name /opt/ess, read here from this checkout instead."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze introuvable (paquet Debian `systemd`).")
    for unit in (DEPLOY / "systemd").iterdir():
        (tmp_path / unit.name).write_text(unit.read_text(encoding="utf-8").replace("/opt/ess", str(ROOT)))
    (tmp_path / "ess-app@8501.service").write_text((tmp_path / "ess-app@.service").read_text())
    units = [str(tmp_path / n) for n in ("ess-app@8501.service", "ess-backup.service", "ess-backup.timer")]
    result = subprocess.run([analyze, "verify", "--man=no", *units], capture_output=True, text=True)
    # Unknown or misspelt directives are only warnings for systemd: none is allowed here.
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


@pytest.mark.slow
def test_the_backup_script_keeps_the_most_recent_sqlite_backups(sqlite_url: str, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "ess-20160628-080000.db"
    old.write_bytes(b"an older backup")
    env = {
        "PATH": "/usr/bin:/bin",
        "ESS_DATABASE_URL": sqlite_url,
        "ESS_COOKIE_KEY": "k" * 40,
        "ESS_BACKUP_DIR": str(backups),
        "ESS_BACKUP_KEEP": "1",
    }
    result = subprocess.run([str(DEPLOY / "ess-backup.sh")], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Sauvegarde écrite" in result.stdout
    (kept,) = backups.iterdir()
    assert kept != old and kept.suffix == ".db" and kept.stat().st_size > 0
