"""nginx in front of two app replicas, as deployed: what the two-replica test and the two-replica room benchmark share.

deploy/nginx/ess.conf rendered by envsubst (a self-signed certificate made with openssl, free ports, its own prefix,
pid and logs in a given folder), plus a test-only snippet the production config includes from a glob: a response
header naming the replica that answered (X-Ess-Upstream), and the client address taken from an X-Test-Client
header (nginx's realip module). Replicas start as deploy/systemd/ess-app@.service starts them: `streamlit run
asgi.py` on 127.0.0.1, one port each. No pytest here: bench/bench_room2.py imports it too.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.e2e.conftest import LiveApp, start_app, stop_app

ROOT = Path(__file__).resolve().parents[2]
SITE_CONF = ROOT / "deploy" / "nginx" / "ess.conf"
PLACEHOLDERS = (
    "ESS_DOMAIN",
    "ESS_TLS_CERT",
    "ESS_TLS_KEY",
    "ESS_HTTP_PORT",
    "ESS_HTTPS_PORT",
    "ESS_UPSTREAM_SERVERS",
    "ESS_NGINX_SNIPPETS",
    "ESS_NGINX_LOG_DIR",
)
# Test-only additions, read by the production config's snippet glob; never in deploy/.
TEST_SNIPPET = """
add_header X-Ess-Upstream $upstream_addr always;
set_real_ip_from 127.0.0.1;
real_ip_header X-Test-Client;
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def request(
    url: str, path: str, headers: dict[str, str] | None = None, *, tls: bool = True
) -> tuple[int, dict[str, str], bytes]:
    """One request straight to nginx: status, headers (lower-case names), body."""
    host, port = url.split("://", 1)[1].split(":")
    conn: http.client.HTTPConnection = (
        http.client.HTTPSConnection(host, int(port), context=unverified_tls(), timeout=10)
        if tls
        else http.client.HTTPConnection(host, int(port), timeout=10)
    )
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def render_site(
    root: Path, https_port: int, http_port: int, upstreams: list[int], *, worker_connections: int = 1024
) -> Path:
    """deploy/nginx/ess.conf rendered with envsubst, restricted to its own placeholders (as the header says)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    (root / "snippets").mkdir()
    (root / "snippets" / "test.conf").write_text(TEST_SNIPPET, encoding="utf-8")
    (root / "logs").mkdir()
    values = {
        "ESS_DOMAIN": "127.0.0.1",
        "ESS_TLS_CERT": str(root / "cert.pem"),
        "ESS_TLS_KEY": str(root / "key.pem"),
        "ESS_HTTP_PORT": str(http_port),
        "ESS_HTTPS_PORT": str(https_port),
        "ESS_UPSTREAM_SERVERS": " ".join(f"server 127.0.0.1:{p};" for p in upstreams),
        "ESS_NGINX_SNIPPETS": str(root / "snippets" / "*.conf"),
        "ESS_NGINX_LOG_DIR": str(root / "logs"),
    }
    shell_format = " ".join(f"${{{name}}}" for name in PLACEHOLDERS)
    rendered = subprocess.run(
        ["envsubst", shell_format],
        input=SITE_CONF.read_text(encoding="utf-8"),
        env={**os.environ, **values},
        text=True,
        capture_output=True,
        check=True,
    ).stdout
    assert "${ESS_" not in rendered.split("\n# ---", 1)[1], "a placeholder was left unrendered"
    site = root / "ess.conf"
    site.write_text(rendered, encoding="utf-8")
    # The main file a Debian nginx.conf would be, reduced to what the site needs, every path in the folder.
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the temporary folder (0700)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = " ".join(f"{kind}_temp_path {root / ('tmp_' + kind)};" for kind in kinds)
    main = root / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\npid {root / 'nginx.pid'};\nerror_log {root / 'logs' / 'error.log'};\n"
        f"events {{ worker_connections {worker_connections}; }}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  {temp}\n  access_log {root / 'logs' / 'access.log'};\n"
        f"  include {site};\n}}\n",
        encoding="utf-8",
    )
    return main


def start_nginx(root: Path, main: Path, https_port: int) -> subprocess.Popen[bytes]:
    test = subprocess.run(["nginx", "-t", "-p", str(root), "-c", str(main)], capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    process = subprocess.Popen(
        ["nginx", "-p", str(root), "-c", str(main), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(root / "logs" / "stderr.log").open("wb"),
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", https_port), timeout=0.5):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"nginx n'a pas démarré : {(root / 'logs' / 'error.log').read_text(errors='replace')}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def route_to(url: str, port: int) -> str:
    """An ess_route cookie value that nginx's consistent hash sends to the replica on `port`."""
    for n in range(200):
        value = f"route-{n}"
        _, headers, _ = request(url, "/_stcore/health", {"Cookie": f"ess_route={value}"})
        if headers.get("x-ess-upstream") == f"127.0.0.1:{port}":
            return value
    raise AssertionError(f"no route cookie hashes to port {port}")


def start_replicas(
    database_url: str, root: Path, stack: contextlib.ExitStack, env: Callable[[str, int], dict[str, str]]
) -> dict[str, LiveApp]:
    """Replicas A and B started at once, each with env(name, port); each one that started is stopped when `stack`
    closes, even if the other failed."""
    ports = {name: free_port() for name in "AB"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            # As deploy/systemd/ess-app@.service starts them: through asgi.py (health route, JSON logs), named.
            name: pool.submit(
                start_app, database_url, root / f"replica-{name}.log", env(name, port), entry="asgi.py", port=port
            )
            for name, port in ports.items()
        }
    replicas: dict[str, LiveApp] = {}
    errors = []
    for name, future in futures.items():
        try:
            replicas[name] = future.result()
            stack.callback(stop_app, replicas[name])
        except RuntimeError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    return replicas
