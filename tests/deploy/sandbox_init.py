#!/usr/bin/python3
"""Stand-in for systemd inside the deployment guide's sandbox (tests/deploy/test_deployment_doc.py).

The sandbox is a throwaway copy of this machine whose PID 1 is not systemd, so `systemctl start` cannot work there.
Installed as `systemctl` and `journalctl` ahead of the real ones on PATH, this script:
- `systemctl enable|disable` runs the real systemctl (it only writes symlinks, which works offline);
- `daemon-reload`, `enable --now`, `start` verify the units with the real `systemd-analyze verify`;
- `start` runs what systemd would: ExecStartPre/ExecStart as User=/Group= with EnvironmentFile=/Environment=,
  WorkingDirectory=, StateDirectory=/LogsDirectory=/RuntimeDirectory= created for that user, %i/%I filled in;
  Type=oneshot and forking wait for the command, other types run in the background with their output in
  /var/log/sandbox-journal/UNIT.log (the journal of the sandbox); an instance whose name is a port (ess-app@8601)
  is waited for until it accepts connections, as an administrator typing the next command seconds later would;
  a timer is checked with `systemd-analyze calendar` and marked active;
- `stop`, `restart`, `reload`, `status`, `is-active` act on those processes; `journalctl -u UNIT [-n N] [-o cat]`
  prints that unit's log.
Only the python standard library: it runs with the system's python3 inside the sandbox.
"""

from __future__ import annotations

import fnmatch
import os
import pwd
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

UNIT_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
JOURNAL = Path("/var/log/sandbox-journal")
STATE = Path("/run/sandbox-units")
REAL_SYSTEMCTL = "/usr/bin/systemctl"
PORT_WAIT_SECONDS = 90


def fail(message: str) -> None:
    print(f"sandbox systemctl: {message}", file=sys.stderr)
    sys.exit(1)


def unit_name(name: str) -> str:
    return name if re.search(r"\.(service|timer|socket|target|path)$", name) else f"{name}.service"


def unit_file(name: str) -> Path:
    template = re.sub(r"@[^.]*\.", "@.", name) if "@" in name else name
    for d in UNIT_DIRS:
        for candidate in (Path(d) / name, Path(d) / template):
            if candidate.is_file():
                return candidate
    fail(f"unité introuvable : {name}")
    raise AssertionError


def parse_unit(name: str) -> dict[str, list[str]]:
    """Key -> values of the unit's [Service]/[Timer]/[Unit] sections (continuation lines joined, %i filled in)."""
    instance = name.split("@", 1)[1].rsplit(".", 1)[0] if "@" in name else ""
    text = unit_file(name).read_text(encoding="utf-8").replace("\\\n", " ")
    values: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;[" or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        value = value.replace("%i", instance).replace("%I", instance).replace("%n", name).replace("%%", "%")
        if value == "":
            values[key] = []  # an empty assignment resets the list, as in systemd
        else:
            values.setdefault(key, []).append(value)
    return values


def read_env_file(path: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        words = shlex.split(value) if value.strip() else [""]
        env[key.strip()] = " ".join(words)
    return env


def unit_env(unit: dict[str, list[str]], user: pwd.struct_passwd | None) -> dict[str, str]:
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    if user is not None:
        env |= {"HOME": user.pw_dir, "USER": user.pw_name, "LOGNAME": user.pw_name, "SHELL": user.pw_shell}
    for assignment in unit.get("Environment", []):
        for word in shlex.split(assignment):
            key, _, value = word.partition("=")
            env[key] = value
    for entry in unit.get("EnvironmentFile", []):
        optional = entry.startswith("-")
        path = entry.lstrip("-")
        if not Path(path).is_file():
            if optional:
                continue
            fail(f"EnvironmentFile introuvable : {path}")
        env |= read_env_file(path)
    return env


def command_line(line: str, env: dict[str, str]) -> list[str]:
    line = line.lstrip("-+!@:")
    line = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), line)
    words: list[str] = []
    for word in shlex.split(line):
        m = re.fullmatch(r"\$(\w+)", word)
        words.extend(env.get(m.group(1), "").split() if m else [word])
    return words


def make_dirs(unit: dict[str, list[str]], user: pwd.struct_passwd | None) -> None:
    for key, base in (("StateDirectory", "/var/lib"), ("LogsDirectory", "/var/log"), ("RuntimeDirectory", "/run")):
        for value in unit.get(key, []):
            for rel in value.split():
                path = Path(base) / rel.split(":")[0]
                path.mkdir(parents=True, exist_ok=True)
                if user is not None:
                    os.chown(path, user.pw_uid, user.pw_gid)


def verify(names: list[str]) -> None:
    files = [n for n in names if not n.startswith("nginx") and not n.startswith("postgresql")]
    if not files:
        return
    done = subprocess.run(["systemd-analyze", "verify", *files], capture_output=True, text=True)
    # Complaints about units this unit merely names (systemd's own targets) are not the unit's fault.
    problems = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    if done.returncode != 0 or problems:
        fail("systemd-analyze verify " + " ".join(files) + " :\n" + "\n".join(problems))


def alive(name: str) -> bool:
    pid_file = STATE / f"{name}.pid"
    if not pid_file.is_file():
        return (STATE / f"{name}.active").is_file()
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (ProcessLookupError, ValueError):
        return False
    return True


def wait_for_port(name: str, port: int, pid: int) -> None:
    deadline = time.monotonic() + PORT_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            fail(f"{name} s'est arrêté au démarrage ; journal :\n" + (JOURNAL / f"{name}.log").read_text()[-3000:])
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    fail(f"{name} n'écoute pas sur le port {port} après {PORT_WAIT_SECONDS} s")


def start(name: str) -> None:
    if alive(name):
        return
    unit = parse_unit(name)
    STATE.mkdir(parents=True, exist_ok=True)
    JOURNAL.mkdir(parents=True, exist_ok=True)
    if name.endswith(".timer"):
        for spec in unit.get("OnCalendar", []):
            subprocess.run(["systemd-analyze", "calendar", spec], check=True, capture_output=True)
        (STATE / f"{name}.active").touch()
        return
    user = pwd.getpwnam(unit["User"][-1]) if unit.get("User") else None
    group = unit["Group"][-1] if unit.get("Group") else (user.pw_gid if user else None)
    env = unit_env(unit, user)
    make_dirs(unit, user)
    cwd = unit.get("WorkingDirectory", ["/"])[-1].lstrip("-")
    cwd = user.pw_dir if cwd == "~" and user else cwd
    log = (JOURNAL / f"{name}.log").open("ab")
    run = {"cwd": cwd, "env": env, "stdout": log, "stderr": subprocess.STDOUT, "stdin": subprocess.DEVNULL}
    if user is not None:
        run |= {"user": user.pw_uid, "group": group, "extra_groups": []}
    for line in unit.get("ExecStartPre", []):
        # "+": full privileges (root), whatever User= says.
        as_root = {k: v for k, v in run.items() if k not in ("user", "group", "extra_groups")}
        options = as_root if line.lstrip("-@!:").startswith("+") else run
        rc = subprocess.run(command_line(line, env), **options).returncode  # type: ignore[call-overload]
        if rc and not line.startswith("-"):
            fail(f"{name} : ExecStartPre a échoué ({rc}) ; journal : {JOURNAL / name}.log")
    kind = unit.get("Type", ["simple"])[-1]
    commands = unit.get("ExecStart", [])
    if not commands:
        fail(f"{name} : pas d'ExecStart")
    if kind in ("oneshot", "forking"):
        for line in commands:
            rc = subprocess.run(command_line(line, env), **run).returncode  # type: ignore[call-overload]
            if rc:
                log.close()
                fail(f"{name} a échoué ({rc}) ; journal :\n" + (JOURNAL / f"{name}.log").read_text()[-3000:])
        if kind == "forking":
            (STATE / f"{name}.active").touch()
        return
    proc = subprocess.Popen(command_line(commands[-1], env), start_new_session=True, **run)  # type: ignore[call-overload]
    (STATE / f"{name}.pid").write_text(str(proc.pid))
    instance = name.split("@", 1)[1].rsplit(".", 1)[0] if "@" in name else ""
    if instance.isdigit():
        wait_for_port(name, int(instance), proc.pid)


def stop(name: str) -> None:
    pid_file = STATE / f"{name}.pid"
    (STATE / f"{name}.active").unlink(missing_ok=True)
    if not pid_file.is_file():
        return
    pid = int(pid_file.read_text())
    pid_file.unlink()
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(150):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)


def nginx(action: str) -> None:
    """Debian's nginx.service (Type=forking, `nginx -t` before start and reload)."""
    subprocess.run(["nginx", "-t", "-q"], check=True)
    running = Path("/run/nginx.pid").is_file()
    if action in ("start", "restart", "reload") and not running:
        subprocess.run(["nginx"], check=True)
    elif action == "reload":
        subprocess.run(["nginx", "-s", "reload"], check=True)
    elif action == "restart":
        subprocess.run(["nginx", "-s", "quit"], check=True)
        time.sleep(0.5)
        subprocess.run(["nginx"], check=True)
    elif action == "stop":
        subprocess.run(["nginx", "-s", "quit"], check=True)


def systemctl(argv: list[str]) -> None:
    flags = {a for a in argv if a.startswith("-")}
    words = [a for a in argv if not a.startswith("-")]
    if not words:
        fail("commande attendue")
    verb, names = words[0], [unit_name(w) for w in words[1:]]
    if verb == "daemon-reload":
        verify([str(p) for d in UNIT_DIRS[:1] for p in sorted(Path(d).glob("*.service"))])
        return
    if verb in ("enable", "disable"):
        subprocess.run([REAL_SYSTEMCTL, verb, *names], check=True)
        if verb == "enable" and "--now" in flags:
            verify(names)
            for n in names:
                start(n)
        return
    for n in names:
        if n == "nginx.service":
            nginx(verb)
            continue
        if verb == "start":
            verify([n])
            start(n)
        elif verb == "stop":
            stop(n)
        elif verb in ("restart", "reload", "try-restart"):
            stop(n)
            start(n)
        elif verb in ("status", "is-active"):
            state = "active (running)" if alive(n) else "inactive (dead)"
            print(f"● {n} - {state}")
            if not alive(n):
                sys.exit(3)
        else:
            fail(f"verbe non géré : {verb}")


def journalctl(argv: list[str]) -> None:
    units: list[str] = []
    lines, output = None, "short"
    args = iter(argv)
    for a in args:
        if a in ("-u", "--unit"):
            units.append(next(args))
        elif a.startswith("--unit="):
            units.append(a.split("=", 1)[1])
        elif a in ("-n", "--lines"):
            lines = int(next(args))
        elif a in ("-o", "--output"):
            output = next(args)
        elif a == "--since":
            next(args)  # the sandbox's journal is younger than any window the guide asks for
        elif a in ("-f", "--follow"):
            fail("-f attend indéfiniment : pas dans un test")
    found: list[str] = []
    for pattern in units:
        for log in sorted(JOURNAL.glob("*.log")):
            unit = log.name[: -len(".log")]
            if fnmatch.fnmatch(unit, unit_name(pattern)) or fnmatch.fnmatch(unit, pattern):
                text = log.read_text(encoding="utf-8", errors="replace").splitlines()
                found.extend(t if output == "cat" else f"{unit}: {t}" for t in text)
    if not found:
        fail("aucune ligne de journal pour " + " ".join(units))
    print("\n".join(found[-lines:] if lines else found))


if __name__ == "__main__":
    (journalctl if Path(sys.argv[0]).name == "journalctl" else systemctl)(sys.argv[1:])
