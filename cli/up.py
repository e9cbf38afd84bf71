"""``agentstate up``: the whole platform on one machine, no Docker.

A small supervisor: it locks the data directory, starts an embedded Valkey (append-only file) unless
``AGENTSTATE_REDIS_URL`` is set, registers the bootstrap ingest key, and runs each component as a
child process (receiver; writer + API sharing the one process that may open chDB; security and cost
workers; the UI). A child that dies is restarted, and so is Valkey; SIGINT/SIGTERM stops them in
data-path order.

Local exposure: the data directory and everything the platform writes into it are the owner's
alone (umask 077, directory 0700), Valkey has a password, and each child's environment carries only
the secrets that child needs (:func:`child_env`): Streamlit never sees the secret key, the admin
password or the bootstrap key.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentstate.cli.valkey import DEFAULT_MAX_MEMORY_MB, EmbeddedValkey

_PR_SET_PDEATHSIG = 1

SECRET_VARS = (
    "AGENTSTATE_SECRET_KEY",
    "AGENTSTATE_ADMIN_PASSWORD",
    "AGENTSTATE_BOOTSTRAP_API_KEY",
    "AGENTSTATE_REDIS_URL",
    "AGENTSTATE_CLICKHOUSE_URL",
    "AGENTSTATE_DATABASE_URL",
    "AGENTSTATE_STATS_TOKEN",
    "AGENTSTATE_NEW_USER_PASSWORD",
)
"""Variables that grant access to something (a password, a signing key, a URL with credentials)."""

NEEDS: dict[str, frozenset[str]] = {
    # the ingest-key pepper and the streams; the stats token if the operator set one
    "receiver": frozenset({"AGENTSTATE_SECRET_KEY", "AGENTSTATE_REDIS_URL", "AGENTSTATE_STATS_TOKEN"}),
    # writer + API: ClickHouse, JWT signing, the first admin and the bootstrap key
    "writer": frozenset(
        {
            "AGENTSTATE_SECRET_KEY",
            "AGENTSTATE_REDIS_URL",
            "AGENTSTATE_CLICKHOUSE_URL",
            "AGENTSTATE_DATABASE_URL",
            "AGENTSTATE_ADMIN_PASSWORD",
            "AGENTSTATE_BOOTSTRAP_API_KEY",
        }
    ),
    "security": frozenset({"AGENTSTATE_REDIS_URL"}),
    "cost": frozenset({"AGENTSTATE_REDIS_URL"}),
    "ui": frozenset(),  # talks to the API over HTTP as the logged-in user
}
"""Which of :data:`SECRET_VARS` each kind of child gets."""


def child_env(kind: str, env: dict[str, str]) -> dict[str, str]:
    """``env`` without the secrets a ``kind`` child does not need (an unknown kind gets none)."""
    needs = NEEDS.get(kind, frozenset())
    return {k: v for k, v in env.items() if k not in SECRET_VARS or k in needs}


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: children get SIGTERM if the supervisor is killed, so no orphan keeps chDB locked."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    """One supervised component."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    kind: str = ""
    """Which secrets it gets (:data:`NEEDS`); defaults to ``name``."""
    restarts: list[float] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str], log_dir: Path) -> None:
        log = open(log_dir / f"{self.name}.log", "ab")  # noqa: SIM115 - owned by the child process
        # A session of its own: Ctrl-C in the terminal reaches only the supervisor, which then stops
        # the components in data-path order (receiver first, Valkey last), not all at once.
        self.proc = subprocess.Popen(
            self.argv,
            env={**child_env(self.kind or self.name, env), **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
            start_new_session=True,
        )
        log.close()


def _read_or_create(path: Path, make: Any) -> str:
    if path.exists():
        return path.read_text().strip()
    value: str = make()
    path.write_text(value)
    path.chmod(0o600)
    return value


def _wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:  # noqa: S310 - loopback health probe
                if resp.status == 200:
                    return True
        except Exception:
            time.sleep(0.2)
    return False


def health_urls(http_port: str, api_port: str, ui_port: str | None) -> list[tuple[str, str]]:
    """What must answer before the banner says "running": the receiver, the API and (if started) the UI."""
    urls = [("receiver", f"http://127.0.0.1:{http_port}/readyz"), ("api", f"http://127.0.0.1:{api_port}/readyz")]
    if ui_port is not None:
        urls.append(("ui", f"http://127.0.0.1:{ui_port}/_stcore/health"))
    return urls


def register_bootstrap_key(redis_url: str, key: str, project: str, secret: str) -> None:
    """Put the bootstrap key (hashed) into the registry the receiver reads."""
    import redis

    from agentstate.semconv.apikeys import hash_key, register_keys

    client = redis.Redis.from_url(redis_url)
    register_keys(client, {hash_key(key, secret.encode()): project})
    client.close()


def worker_counts(security: int | None, cost: int | None) -> dict[str, int]:
    """Processes of each span processor: one each unless asked.

    More replicas share their consumer group (Redis splits the stream between them), so the security
    engine, the costliest consumer, can use more cores. Not the default: loop counts, rolling
    baselines and per-trace alert aggregation are per process, so a runaway loop whose calls reach
    different replicas may stay under the threshold in each.
    """
    return {"security": security or 1, "cost": cost or 1}


def _components(args: argparse.Namespace, consumer: str, counts: dict[str, int]) -> list[Child]:
    py = [sys.executable, "-m", "agentstate.cli"]
    children = [
        Child("receiver", [*py, "receiver"]),
        Child("writer", [*py, "worker", "writer", "--with-api"]),
    ]
    try:
        from agentstate.processors import worker_main  # noqa: F401
    except ImportError:
        pass
    else:
        # Analysis yields the CPU to storage when the machine is busy (alerts lag, spans do not).
        nice = os.environ.get("AGENTSTATE_NICE", "5")
        for kind, count in counts.items():
            for i in range(count):  # replica 1 keeps the plain names: its pending list survives upgrades
                env = {"AGENTSTATE_NICE": nice}
                if i:
                    env["AGENTSTATE_CONSUMER_NAME"] = f"{consumer}-{i + 1}"
                children.append(Child(kind if i == 0 else f"{kind}-{i + 1}", [*py, "worker", kind], env, kind))
    if not args.no_ui and _ui_available():
        children.append(Child("ui", [*py, "ui"]))
    return children


def _ui_available() -> bool:
    """Whether the UI can run, without importing it (Streamlit warns when imported outside its runtime)."""
    from importlib.util import find_spec

    return find_spec("streamlit") is not None and find_spec("agentstate.ui.app") is not None


def run_ui() -> int:
    """``agentstate ui``: serve the Streamlit app."""
    import importlib.util

    # Located, not imported: importing the UI here would run its @st.cache_data decorators before
    # Streamlit's runtime exists (one "No runtime found" warning each in ui.log).
    spec = importlib.util.find_spec("agentstate.ui")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the UI is not installed: pip install 'agentstate-sdk[ui]'")
    # asgi_app.py serves app.py as an st.App with security headers (X-Frame-Options, CSP).
    script = os.path.join(next(iter(spec.submodule_search_locations)), "asgi_app.py")
    port = os.environ.get("AGENTSTATE_UI_PORT", "8501")
    argv = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.port",
        port,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--server.address",
        os.environ.get("AGENTSTATE_UI_HOST", "127.0.0.1"),
    ]
    # exec, not a child: signals from the supervisor must reach Streamlit itself.
    os.execv(sys.executable, argv)  # noqa: S606 - fixed argv, no shell
    return 0  # pragma: no cover - execv does not return


def valkey_max_memory_mb(raw: str) -> int:
    """``AGENTSTATE_VALKEY_MAX_MEMORY_MB`` (empty: the default); a bad value stops ``up`` with a clear message."""
    if not raw.strip():
        return DEFAULT_MAX_MEMORY_MB
    try:
        mb = int(raw)
    except ValueError:
        mb = 0
    if mb < 64:
        raise SystemExit(f"AGENTSTATE_VALKEY_MAX_MEMORY_MB must be a whole number of MiB, at least 64 (got {raw!r})")
    return mb


def run_up(args: argparse.Namespace) -> int:
    """Run the platform until interrupted."""
    from agentstate.processors.clickhouse import lock_directory

    data_dir = Path(args.data_dir).expanduser().resolve()
    private_data_dir(data_dir)
    lock_directory(str(data_dir), "AgentState data directory")
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    secret = os.environ.get("AGENTSTATE_SECRET_KEY") or _read_or_create(
        data_dir / "secret.key", lambda: secrets.token_urlsafe(48)
    )
    valkey = None
    redis_url = os.environ.get("AGENTSTATE_REDIS_URL")
    if not redis_url:
        valkey = EmbeddedValkey(data_dir, valkey_max_memory_mb(os.environ.get("AGENTSTATE_VALKEY_MAX_MEMORY_MB", "")))
        valkey.start()
        redis_url = valkey.url
    ch_url = os.environ.get("AGENTSTATE_CLICKHOUSE_URL") or f"chdb://{data_dir / 'clickhouse'}"
    from agentstate.semconv.apikeys import generate_key

    key = os.environ.get("AGENTSTATE_BOOTSTRAP_API_KEY") or _read_or_create(data_dir / "bootstrap.key", generate_key)
    register_bootstrap_key(redis_url, key, "default", secret)
    admin_email = os.environ.get("AGENTSTATE_ADMIN_EMAIL") or "admin@localhost"
    admin_password = os.environ.get("AGENTSTATE_ADMIN_PASSWORD") or _read_or_create(
        data_dir / "admin.password", lambda: secrets.token_urlsafe(12)
    )
    env = {
        **os.environ,
        "AGENTSTATE_REDIS_URL": redis_url,
        "AGENTSTATE_CLICKHOUSE_URL": ch_url,
        "AGENTSTATE_SECRET_KEY": secret,
        "AGENTSTATE_CONSUMER_NAME": os.environ.get("AGENTSTATE_CONSUMER_NAME", "embedded"),
        "AGENTSTATE_DATA_DIR": str(data_dir),
        "AGENTSTATE_BOOTSTRAP_API_KEY": key,
        "AGENTSTATE_ADMIN_EMAIL": admin_email,
        "AGENTSTATE_ADMIN_PASSWORD": admin_password,
    }
    # Every UI user reaches the API from the UI server's address, so the per-IP API limit is raised
    # for the single-machine setup (production deployments set their own).
    env.setdefault("AGENTSTATE_RATE_LIMIT_PER_MINUTE", "1200")
    host = env.get("AGENTSTATE_HOST", "127.0.0.1")
    http_port = env.get("AGENTSTATE_HTTP_PORT", "4318")
    api_port = env.get("AGENTSTATE_API_PORT", "8000")
    env.setdefault("AGENTSTATE_API_URL", f"http://127.0.0.1:{api_port}")
    counts = worker_counts(args.security_workers, args.cost_workers)
    children = _components(args, env["AGENTSTATE_CONSUMER_NAME"], counts)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for child in children:
        child.start(env, data_dir / "logs")
    names = {c.name for c in children}
    probes = health_urls(http_port, api_port, env.get("AGENTSTATE_UI_PORT", "8501") if "ui" in names else None)
    deadline = time.monotonic() + 90
    waiting = [name for name, url in probes if not _wait_http(url, max(1.0, deadline - time.monotonic()))]
    ok = "receiver" not in waiting
    print(
        "\nAgentState is running" + (f" ({', '.join(waiting)} not ready yet; see logs)" if waiting else ""), flush=True
    )
    print(f"  OTLP/HTTP   http://{host}:{http_port}   (POST /v1/traces, /v1/logs)")
    print(f"  OTLP/gRPC   {host}:{env.get('AGENTSTATE_GRPC_PORT', '4317')}")
    print(f"  API         http://127.0.0.1:{api_port}   (docs at /docs)")
    if "ui" in names:
        print(f"  UI          http://127.0.0.1:{env.get('AGENTSTATE_UI_PORT', '8501')}")
    if max(counts.values()) > 1:
        workers = ", ".join(f"{kind} ×{n}" for kind, n in counts.items())
        print(f"  Workers     writer, {workers}  (--security-workers / --cost-workers)")
    print(f"  Redis       {redis_url}\n  ClickHouse  {ch_url}\n  Data dir    {data_dir}  (logs in {data_dir / 'logs'})")
    print(f"  Ingest key  {key}   (project 'default'; send as 'Authorization: Bearer <key>')")
    shown = (
        "from AGENTSTATE_ADMIN_PASSWORD"
        if os.environ.get("AGENTSTATE_ADMIN_PASSWORD")
        else (f"{admin_password}  (kept in {data_dir / 'admin.password'})")
    )
    print(f"  Log in as   {admin_email} / {shown}")
    print("  Stop with Ctrl-C.\n", flush=True)
    if args.demo and ok:
        from agentstate.cli.demo import run_demo, wait_until_persisted

        run_demo(f"http://127.0.0.1:{http_port}", key, 5)
        stored = wait_until_persisted(redis_url, 60)
        print("demo traces sent" + (" and stored" if stored else " (still being written)"), flush=True)
        if args.exit_after_demo:
            stopping = True
    while not stopping:
        time.sleep(0.5)
        if valkey is not None and not valkey.given_up and not stopping and valkey.exit_code() is not None:
            _restart_valkey(valkey, lambda: register_bootstrap_key(valkey.url, key, "default", secret))
        for child in children:
            if child.proc is not None and child.proc.poll() is not None and not stopping:
                _restart(child, env, data_dir / "logs")
    _shutdown(children)
    if valkey is not None:
        valkey.stop(timeout=10)
    print(f"stopped; everything is kept in {data_dir}", flush=True)
    return 0


def private_data_dir(data_dir: Path) -> None:
    """Make ``data_dir`` the owner's alone, with everything created in it from now on.

    umask 077 is inherited by every child, so Valkey's AOF, chDB's parts, the API's SQLite file and
    the logs are created 0600/0700; files of an older, looser install are tightened once here.
    """
    os.umask(0o077)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    for path in data_dir.iterdir():
        with contextlib.suppress(OSError):
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                path.chmod(mode & 0o700)


def _restart_valkey(valkey: EmbeddedValkey, after: Callable[[], None]) -> None:
    """Restart a dead Valkey on its port (same URL for the children), like a child: 5 times a minute."""
    now = time.monotonic()
    valkey.restarts = [t for t in valkey.restarts if now - t < 60] + [now]
    code = valkey.exit_code()
    if len(valkey.restarts) > 5:
        print(f"valkey keeps failing (exit {code}); see {valkey.dir / 'valkey.log'}", flush=True)
        valkey.given_up = True
        return
    print(f"valkey exited ({code}); restarting", flush=True)
    try:
        valkey.start()
        after()  # an entry written in its last second may be missing from the AOF (appendfsync everysec)
    except Exception as exc:  # retried on the next tick, within the budget
        print(f"valkey did not restart: {exc}", flush=True)


def _restart(child: Child, env: dict[str, str], log_dir: Path) -> None:
    now = time.monotonic()
    child.restarts = [t for t in child.restarts if now - t < 60] + [now]
    code = child.proc.returncode if child.proc else None
    if len(child.restarts) > 5:
        print(f"{child.name} keeps failing (exit {code}); see {log_dir / (child.name + '.log')}", flush=True)
        child.proc = None
        return
    print(f"{child.name} exited ({code}); restarting", flush=True)
    child.start(env, log_dir)


def _shutdown(children: list[Child]) -> None:
    """Stop in data-path order: the receiver refuses new data first, then the workers drain."""
    print("stopping…", flush=True)
    for child in children:
        if child.proc is not None and child.proc.poll() is None:
            child.proc.send_signal(signal.SIGTERM)
            if child.name == "receiver":
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.proc.wait(15)
    for child in children:
        if child.proc is not None:
            try:
                child.proc.wait(30)
            except subprocess.TimeoutExpired:
                child.proc.kill()
