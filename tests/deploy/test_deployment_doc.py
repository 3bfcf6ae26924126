"""docs/DEPLOYMENT.md, command by command, in a throwaway copy of this machine.

No clean Debian image can be built here (no container engine, no debootstrap, no network beyond the package
registries), so the guide runs in a sandbox that keeps the machine intact: an overlayfs root over the real one,
in private mount, network and PID namespaces (`unshare`), entered with `chroot`. Writes to /etc, /opt, /var, the
new `ess` account, PostgreSQL's cluster, nginx, ports 80/443/8601…, all land in the overlay's upper folder and
vanish with it; every process started inside dies with the namespace.

Every command of every ```bash / ```sh block is classified by RULES (first match wins):
- "run": run as written, in one root bash session, in the guide's order;
- "stand-in": run as written, `systemctl`/`journalctl` being tests/deploy/sandbox_init.py (PID 1 is not systemd);
- "substitute": replaced by the named check (apt-get install -> dpkg -s; git clone -> clone of this repo);
- "skip": not run, with the reason.
A command no rule knows fails the test, so the guide and this test cannot drift apart.

The sandbox also stands in for what is outside the guide: the guide's DNS name resolves to 127.0.0.1, the Région's
certificate is a self-signed one for that name (curl trusts it through CURL_CA_BUNDLE), the code's `.venv` is this
project's (pip would need the network and minutes), and the SQLite backup commands run with a copy of the settings
whose ESS_DATABASE_URL is a SQLite file (the guide's service runs on PostgreSQL).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "DEPLOYMENT.md"
STAND_IN = Path(__file__).with_name("sandbox_init.py")

pytestmark = [pytest.mark.slow, pytest.mark.serial]


@dataclass(frozen=True)
class Command:
    line: int  # 1-based line in DEPLOYMENT.md
    text: str


def guide_commands(markdown: str) -> list[Command]:
    """Commands of the ```bash/```sh blocks: continuation lines joined, a heredoc kept with its command."""
    commands: list[Command] = []
    lines = markdown.splitlines()
    i, in_block = 0, False
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            in_block = not in_block and line.strip() in ("```bash", "```sh")
            i += 1
            continue
        if not in_block or not line.strip() or line.lstrip().startswith("#"):
            i += 1
            continue
        start, text = i + 1, line
        while text.endswith("\\"):
            i += 1
            text = text[:-1] + lines[i]
        heredoc = re.search(r"<<-?\s*'?(\w+)'?", text)
        if heredoc:
            body = []
            while lines[i + 1] != heredoc.group(1):
                i += 1
                body.append(lines[i])
            i += 1
            text = "\n".join([text, *body, heredoc.group(1)])
        commands.append(Command(start, text))
        i += 1
    return commands


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: str  # matched against the command's text (re.match)
    kind: str  # run | stand-in | substitute | skip
    why: str


RULES = [
    Rule("apt-update", r"apt-get update$", "skip", "needs the network; the machine's package lists stand in"),
    Rule(
        "apt-install",
        r"apt-get install -y ",
        "substitute",
        "each package checked installed (dpkg -s), then "
        "what the packages start on a real Debian is started: PostgreSQL's cluster `main`, nginx",
    ),
    Rule(
        "git-clone",
        r"git clone \S+ /opt/ess$",
        "substitute",
        "clone of the repository under test (its uncommitted changes applied), origin pointing at it",
    ),
    Rule(
        "make-venv",
        r"make venv$",
        "substitute",
        "the code's .venv is this project's (linked), then `make venv` runs and finds it up to date",
    ),
    Rule(
        "sqlite-backup",
        r"ess-manage (backup|restore) ",
        "substitute",
        "run as written, with settings whose ESS_DATABASE_URL is a SQLite file (migrated first)",
    ),
    Rule("certbot", r"certbot ", "skip", "certbot is optional and needs the Internet (Let's Encrypt)"),
    Rule(
        "systemctl",
        r"systemctl ",
        "stand-in",
        "tests/deploy/sandbox_init.py: real `systemctl enable`, "
        "`systemd-analyze verify`, ExecStart as User= with EnvironmentFile=",
    ),
    Rule("journalctl", r"journalctl ", "stand-in", "tests/deploy/sandbox_init.py: the unit's output"),
    Rule("shell", r"(export |cd |SAUVEGARDE=)", "run", "shell state for the following commands"),
    Rule("accounts", r"useradd ", "run", ""),
    Rule("files", r"(install|cp|sed -i|ln -s|rm -f|chmod|ls|cat > /usr/local/sbin/ess-manage)\b", "run", ""),
    Rule("postgres", r"runuser -u (postgres|ess) -- (createuser|createdb|pg_dump|pg_restore)\b", "run", ""),
    Rule("nginx", r"(envsubst|nginx -t$)", "run", ""),
    Rule("manage", r"(echo .* \| )?ess-manage ", "run", ""),
    Rule("http", r"(curl|timeout \d+ sh -c 'until curl)", "run", "through nginx (the DNS name is 127.0.0.1)"),
    Rule("git-pull", r"git pull --ff-only$", "run", ""),
]


def classify(command: Command) -> Rule:
    for rule in RULES:
        if re.match(rule.pattern, command.text):
            return rule
    raise AssertionError(
        f"DEPLOYMENT.md ligne {command.line} : commande que le test ne sait pas vérifier, "
        f"ajoutez une règle dans RULES : {command.text!r}"
    )


def _substitute(rule: Rule, text: str) -> str:
    if rule.name == "apt-install":
        packages = text.split("-y", 1)[1].split()
        return (
            f"dpkg -s {' '.join(packages)} >/dev/null && "
            "mkdir -p /run/postgresql && chown postgres:postgres /run/postgresql && "
            "pg_ctlcluster $(pg_lsclusters -h | awk '$2==\"main\"{print $1; exit}') main start && "
            "nginx"
        )
    if rule.name == "git-clone":
        dest = text.rsplit(maxsplit=1)[-1]
        return (
            f"git clone -q --no-hardlinks /sandbox/repo {dest} && "
            f"(cd /sandbox/repo && git diff HEAD --binary) | git -C {dest} apply --allow-empty && "
            f"(cd /sandbox/repo && git ls-files -o --exclude-standard -z | grep -zv '^\\(.venv\\|node_modules\\)$' "
            f"| xargs -0r cp --parents -t {dest})"
        )
    if rule.name == "make-venv":
        return "ln -sfn /sandbox/venv .venv && touch .venv/.installed && make venv"
    if rule.name == "sqlite-backup":
        return (
            "cp -p /etc/ess/ess.env /sandbox/ess.env.pg && "
            "sed -i 's|^ESS_DATABASE_URL=.*|ESS_DATABASE_URL=sqlite:////var/lib/ess/ess.db|' /etc/ess/ess.env && "
            "{ [ -f /var/lib/ess/ess.db ] || ess-manage migrate >/dev/null; } && "
            f"{{ {text}; }}; rc=$?; cp -p /sandbox/ess.env.pg /etc/ess/ess.env; (exit $rc)"
        )
    raise AssertionError(rule.name)


def _parents_to_open() -> list[str]:
    python = Path(os.path.realpath(ROOT / ".venv" / "bin" / "python"))
    return [str(d) for d in reversed(python.parents) if str(d) != "/" and not os.stat(d).st_mode & 0o001]


def sandbox_script(commands: list[tuple[Command, Rule]], domain: str) -> str:
    """The root bash session that runs the guide inside the chroot, one marked step per command."""
    out = [
        "exec 2>&1",
        "export PATH=/sandbox/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root",
        "export CURL_CA_BUNDLE=/root/certificat-region/fullchain.pem",
        "ip link set lo up",
        # This machine's project venv runs an interpreter under /root/.pyenv (mode 700): let the ess account reach
        # it, inside the sandbox only (a Debian server's venv uses /usr/bin/python3).
        *(f"chmod o+x {d}" for d in _parents_to_open()),
        f"echo '127.0.0.1 {domain}' >> /etc/hosts",
        "mkdir -p /root/certificat-region && cd /root/certificat-region && "
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout privkey.pem -out fullchain.pem "
        f"-subj '/CN={domain}' -addext 'subjectAltName=DNS:{domain}' 2>/dev/null && cd /root",
    ]
    for i, (command, rule) in enumerate(commands):
        text = command.text if rule.kind in ("run", "stand-in") else ""
        if rule.kind == "substitute":
            text = _substitute(rule, command.text)
        out.append(f"echo '@@BEGIN {i}'")
        out.append(text if rule.kind != "skip" else "true")
        out.append(f'echo "@@END {i} $?"')
    return "\n".join(out) + "\n"


OUTER = r"""
set -e
R={root}
mount -t overlay overlay -o lowerdir=/,upperdir={upper},workdir={work} $R
mount -t proc proc $R/proc
mount --rbind /dev $R/dev
mount -t tmpfs tmpfs $R/tmp
mount -t tmpfs tmpfs $R/run
mkdir -p $R/sandbox
mount -t tmpfs tmpfs $R/sandbox
mkdir -p $R/sandbox/bin $R/sandbox/repo $R/sandbox/venv
mount --bind {repo} $R/sandbox/repo
mount --bind {venv} $R/sandbox/venv
cp {stand_in} $R/sandbox/bin/systemctl
cp {stand_in} $R/sandbox/bin/journalctl
chmod 755 $R/sandbox/bin/*
cp {script} $R/sandbox/guide.sh
set +e
chroot $R /bin/bash /sandbox/guide.sh
"""


@dataclass
class Step:
    command: Command
    rule: Rule
    rc: int | None
    output: str


def run_guide(tmp: Path, commands: list[tuple[Command, Rule]], domain: str) -> tuple[list[Step], Path]:
    upper, work, root = tmp / "upper", tmp / "work", tmp / "root"
    for d in (upper, work, root):
        d.mkdir()
    script = tmp / "guide.sh"
    script.write_text(sandbox_script(commands, domain), encoding="utf-8")
    outer = OUTER.format(
        root=root,
        upper=upper,
        work=work,
        repo=ROOT,
        venv=(ROOT / ".venv").resolve(),
        stand_in=STAND_IN,
        script=script,
    )
    done = subprocess.run(
        [
            "unshare",
            "--mount",
            "--net",
            "--pid",
            "--fork",
            "--kill-child",
            "--propagation",
            "private",
            "bash",
            "-c",
            outer,
        ],
        capture_output=True,
        text=True,
        timeout=400,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
    )
    text = done.stdout + done.stderr
    steps: list[Step] = []
    for i, (command, rule) in enumerate(commands):
        m = re.search(rf"^@@BEGIN {i}\n(.*?)^@@END {i} (\d+)$", done.stdout, re.S | re.M)
        steps.append(Step(command, rule, int(m.group(2)) if m else None, m.group(1) if m else text[-3000:]))
    return steps, upper


def _needs() -> str | None:
    if os.geteuid() != 0:
        return "needs root (overlay mounts and namespaces)"
    for tool in ("unshare", "nginx", "pg_ctlcluster", "systemd-analyze", "envsubst", "openssl", "curl"):
        if shutil.which(tool) is None:
            return f"{tool} missing (make sysdeps-test installs nginx and postgresql)"
    return None


def test_every_command_is_classified() -> None:
    commands = guide_commands(GUIDE.read_text(encoding="utf-8"))
    assert len(commands) > 30
    for command in commands:
        classify(command)


def test_deployment_guide_runs_in_a_throwaway_copy_of_this_machine() -> None:
    reason = _needs()
    if reason:
        pytest.skip(reason)
    commands = [(c, classify(c)) for c in guide_commands(GUIDE.read_text(encoding="utf-8"))]
    domain = next(re.search(r"ESS_DOMAIN=(\S+)", c.text).group(1) for c, _ in commands if "ESS_DOMAIN=" in c.text)  # type: ignore[union-attr]
    tmp = Path(tempfile.mkdtemp(prefix="ess-deploy-doc-", dir="/var/tmp"))
    try:
        steps, upper = run_guide(tmp, commands, domain)
        report = "\n".join(
            f"{s.rule.kind:10} {s.rule.name:13} rc={s.rc} l.{s.command.line}: {s.command.text.splitlines()[0][:90]}"
            for s in steps
        )
        print(report)
        failed = [s for s in steps if s.rc != 0 and s.rule.kind != "skip"]
        assert not failed, "\n\n".join(
            f"DEPLOYMENT.md ligne {s.command.line} ({s.rule.name}, rc={s.rc}) : {s.command.text}\n{s.output[-4000:]}"
            for s in failed
        )
        # One JSON line per request in the app's journal, the health check among them.
        journal = (upper / "var/log/sandbox-journal/ess-app@8601.service.log").read_text(encoding="utf-8")
        records = [json.loads(line) for line in journal.splitlines() if line.startswith("{")]
        assert any("/_ess/sante" in json.dumps(r) for r in records), journal[-3000:]
        # The nightly backup left a PostgreSQL dump, and the restore step used one.
        assert list((upper / "var/backups/ess").glob("*")), "aucune sauvegarde écrite"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- Links: what the guide names exists ---------------------------------------------------------------------------


def _settings_names() -> set[str]:
    from core.config import Settings

    return {f"ESS_{name.upper()}" for name in Settings.model_fields}


def test_files_named_by_the_guide_exist() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    named = set(
        re.findall(
            r"(?:/opt/ess/|`)((?:deploy|docs|bench|tests|assets|db|core)/[\w./@-]*\w|"
            r"README\.md|requirements\.txt|manage\.py|Makefile)",
            text,
        )
    )
    assert "deploy/nginx/ess.conf" in named
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert not missing, f"fichiers nommés par DEPLOYMENT.md absents du dépôt : {missing}"


def test_manage_commands_named_by_the_guide_exist() -> None:
    import manage

    parser = manage.build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    known = set(subparsers.choices)  # type: ignore[arg-type]
    text = GUIDE.read_text(encoding="utf-8")
    named = set(re.findall(r"(?:ess-manage |`manage\.py )([a-z][a-z-]+)", text))
    assert {"migrate", "ensure-admin", "health", "backup", "restore"} <= named
    assert not named - known, f"commandes de manage.py inconnues : {sorted(named - known)}"


def test_variables_named_by_the_guide_exist() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    named = {n for n in re.findall(r"\b(ESS_[A-Z0-9_]*[A-Z0-9])\b", text)}
    deploy_text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "deploy").rglob("*") if p.is_file())
    settings = _settings_names()
    # A family named by its prefix (ESS_ADDRESS_*) counts when some setting starts with it.
    unknown = sorted(
        n
        for n in named
        if n not in settings and n not in deploy_text and not any(s.startswith(f"{n}_") for s in settings)
    )
    assert not unknown, f"variables nommées par DEPLOYMENT.md inconnues de core/config.py et de deploy/ : {unknown}"
    assert "FORWARDED_ALLOW_IPS" in text and "FORWARDED_ALLOW_IPS" in (ROOT / "core" / "config.py").read_text()


def test_benchmark_sections_named_by_the_guide_exist() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    sizing = text.split("## 13.", 1)[1].split("\n## ", 1)[0]
    titles = [" ".join(t.split()) for t in re.findall(r"section « ([^»]+) »", sizing)]
    assert titles
    headings = {h.strip() for h in re.findall(r"^#+ (.+)$", (ROOT / "bench" / "RESULTS.md").read_text(), re.M)}
    missing = [t for t in titles if t.strip() not in headings]
    assert not missing, f"sections de bench/RESULTS.md citées par DEPLOYMENT.md et absentes : {missing}"
    assert "compléter" not in text
