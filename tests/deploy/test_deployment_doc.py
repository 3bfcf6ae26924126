"""docs/DEPLOYMENT.md, command by command, in a throwaway copy of this machine.

No clean Debian image can be built here (no container engine, no debootstrap, no network beyond the package
registries), so the guide runs in a sandbox that keeps the machine intact: an overlayfs root over the real one,
in private mount, network and PID namespaces (`unshare`), entered with `chroot`. Writes to /etc, /opt, /var, the
new `ess` account, PostgreSQL's cluster, nginx, ports 80/443/8501…, all land in the overlay's upper folder and
vanish with it; every process started inside dies with the namespace.

Every command of every ```bash / ```sh block is classified by RULES (first match wins):
- "run": run as written, in one root bash session, in the guide's order;
- "stand-in": run as written, `systemctl`/`journalctl` being tests/deploy/sandbox_init.py (PID 1 is not systemd);
- "substitute": replaced by the named check (apt-get install -> dpkg -s; git clone -> clone of this repo);
- "skip": not run, with the reason.
A command no rule knows fails the test, so the guide and this test cannot drift apart.

The sandbox also stands in for what is outside the guide: the guide's DNS name resolves to 127.0.0.1, the Région's
certificate is a self-signed one for that name (curl trusts it through CURL_CA_BUNDLE), the code's `.venv` is this
project's (pip would need the network and minutes).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
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
    Rule("compile", r"\.venv/bin/python -m compileall -q -x '/\\\.venv/' /opt/ess$", "run", "the venv left out"),
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
        out.append(f"echo '@@BEGIN {i}'; t0=$EPOCHREALTIME")
        out.append(text if rule.kind != "skip" else "true")
        # A newline first: the command's output may not end with one (curl prints the JSON body bare).
        out.append(f'printf "\\n@@END {i} %s %s %s\\n" $? $t0 $EPOCHREALTIME')
    return "\n".join(out) + "\n"


# Private mount, network and PID namespaces: every process started inside dies with the namespace's first one,
# which unshare kills if it is killed itself (--kill-child); the mounts vanish with the last process.
UNSHARE = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--propagation", "private"]

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
    seconds: float


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
        [*UNSHARE, "bash", "-c", outer],
        capture_output=True,
        text=True,
        timeout=400,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
    )
    text = done.stdout + done.stderr
    steps: list[Step] = []
    for i, (command, rule) in enumerate(commands):
        m = re.search(rf"^@@BEGIN {i}\n(.*?)^@@END {i} (\d+) ([\d.]+) ([\d.]+)$", done.stdout, re.S | re.M)
        if m is None:
            steps.append(Step(command, rule, None, text[-3000:], 0.0))
            continue
        seconds = float(m.group(4)) - float(m.group(3))
        steps.append(Step(command, rule, int(m.group(2)), m.group(1)[:-1], seconds))
    return steps, upper


TOOLS = ("unshare", "chroot", "nginx", "pg_ctlcluster", "systemd-analyze", "envsubst", "openssl", "curl", "git")
# The sandbox's own mounts, tried once before the guide: what a kernel or a container may refuse.
PROBE = r"""
set -e
mount -t overlay overlay -o lowerdir=/,upperdir={tmp}/upper,workdir={tmp}/work {tmp}/root
mount -t proc proc {tmp}/root/proc
"""


def _kernel_refusal(tmp: Path) -> str | None:
    """Why the kernel (or this account) refuses the sandbox's namespaces or overlay, in French; None if it allows."""
    for d in ("upper", "work", "root"):
        (tmp / d).mkdir()
    try:
        done = subprocess.run(
            [*UNSHARE, "bash", "-c", PROBE.format(tmp=tmp)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        for d in ("upper", "work", "root"):
            shutil.rmtree(tmp / d, ignore_errors=True)
    if done.returncode == 0:
        return None
    return (
        "le noyau refuse la copie jetable de la machine (espaces de noms unshare ou montage overlayfs "
        f"par-dessus /) : {done.stderr.strip()[-300:] or done.returncode} ; ce test tourne en root sur un noyau qui "
        "les autorise (une machine Debian 12 ou une VM, pas un conteneur non privilégié)"
    )


def _missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _leftovers(tmp: Path) -> list[str]:
    """Processes still running inside the sandbox's root (seen from here, their root lies under tmp)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            root = os.readlink(proc / "root")
            comm = (proc / "comm").read_text().strip()
        except OSError:
            continue
        if root.startswith(str(tmp)):
            found.append(f"{proc.name} {comm}")
    return found


def _host_state() -> tuple[str, str]:
    """What the guide changes on a real server and must not change here: the accounts, and the mounts."""
    accounts = subprocess.run(["getent", "passwd", "ess"], capture_output=True, text=True).stdout
    return accounts, Path("/proc/self/mountinfo").read_text()


def _check_clean(tmp: Path, before: tuple[str, str]) -> None:
    for _ in range(50):
        if not _leftovers(tmp):
            break
        time.sleep(0.2)
    left = _leftovers(tmp)
    accounts, mounts = _host_state()
    problems = []
    if left:
        problems.append(f"processus restés dans la copie : {left}")
    if accounts != before[0]:
        problems.append(f"compte `ess` changé sur la machine : {accounts!r}")
    if str(tmp) in mounts:
        problems.append("montage de la copie resté sur la machine")
    assert not problems, " ; ".join(problems)


def test_every_command_is_classified() -> None:
    commands = guide_commands(GUIDE.read_text(encoding="utf-8"))
    assert len(commands) > 30
    for command in commands:
        classify(command)


def _json_body(step: Step) -> dict[str, object]:
    try:
        body = json.loads(step.output.strip())
    except json.JSONDecodeError:
        body = None
    assert isinstance(body, dict), (
        f"DEPLOYMENT.md ligne {step.command.line} : la réponse n'est pas la sonde de la base (JSON attendu, "
        f"Streamlit répond 200 sur toute adresse) : {step.output[-500:]!r}"
    )
    return body


def _journal(upper: Path, unit: str) -> list[dict[str, object]]:
    text = (upper / "var/log/sandbox-journal" / f"{unit}.log").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _check_outcome(steps: list[Step], upper: Path) -> None:
    # GET /_ess/sante through nginx (HTTPS, the guide's DNS name) and on each replica reached the store's probe.
    health = [s for s in steps if s.command.text.startswith("curl") and "/_ess/sante" in s.command.text]
    assert any("$ESS_DOMAIN" in s.command.text for s in health)
    for step in health:
        assert _json_body(step).get("base") == "ok", step.output
    updates = [s for s in steps if "until curl" in s.command.text and "/_ess/sante" in s.command.text]
    assert len(updates) == 2
    for step in updates:
        assert '"base":"ok"' in step.output.replace(" ", ""), step.output
    # One JSON line per request in each replica's journal, named by its replica, the health checks among them.
    for port in (8501, 8502):
        records = _journal(upper, f"ess-app@{port}.service")
        probes = [r for r in records if r.get("event") == "http" and r.get("path") == "/_ess/sante"]
        assert probes, f"ess-app@{port} : aucune ligne JSON pour /_ess/sante"
        assert all(r.get("replica") == f"app-{port}" and r.get("status") == 200 for r in probes), probes
    # The hourly backup (ess-backup.service) and the manual one are PostgreSQL archives; the restore kept the
    # replaced content beside them.
    names = sorted(p.name for p in (upper / "var/backups/ess").iterdir())
    assert any(re.fullmatch(r"ess-\d{8}-\d{6}\.dump", n) for n in names), names
    assert any(n.startswith("ess-manuelle-") for n in names), names
    assert any(n.startswith("ess-remplacee-") for n in names), names


def test_deployment_guide_runs_in_a_throwaway_copy_of_this_machine() -> None:
    missing = _missing_tools()
    assert not missing, f"outils absents : {missing} (`make sysdeps-test` installe nginx et postgresql)"
    commands = [(c, classify(c)) for c in guide_commands(GUIDE.read_text(encoding="utf-8"))]
    domain = next(re.search(r"ESS_DOMAIN=(\S+)", c.text).group(1) for c, _ in commands if "ESS_DOMAIN=" in c.text)  # type: ignore[union-attr]
    tmp = Path(tempfile.mkdtemp(prefix="ess-deploy-doc-", dir="/var/tmp"))
    before = _host_state()
    try:
        refusal = _kernel_refusal(tmp)
        if refusal:
            pytest.skip(refusal)
        steps, upper = run_guide(tmp, commands, domain)
        print(
            "\n".join(
                f"{s.rule.kind:10} {s.rule.name:13} rc={s.rc} {s.seconds:5.1f} s l.{s.command.line}: "
                f"{s.command.text.splitlines()[0][:80]}"
                for s in steps
            )
        )
        failed = [s for s in steps if s.rc != 0 and s.rule.kind != "skip"]
        assert not failed, "\n\n".join(
            f"DEPLOYMENT.md ligne {s.command.line} ({s.rule.name}, rc={s.rc}) : {s.command.text}\n{s.output[-4000:]}"
            for s in failed
        )
        _check_outcome(steps, upper)
    finally:
        try:
            _check_clean(tmp, before)
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
