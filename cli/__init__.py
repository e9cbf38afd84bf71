"""The ``agentstate`` command. Server modules are imported only inside the command that needs them,
so the SDK stays importable without any server dependency."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any

_ENV_HELP = """
Settings come from environment variables (pydantic-settings, prefix AGENTSTATE_):
  AGENTSTATE_REDIS_URL          Redis/Valkey URL (default: embedded Valkey under `up`, else redis://127.0.0.1:6379/0)
  AGENTSTATE_CLICKHOUSE_URL     http(s)://user:pass@host:8123 for a server, chdb:///dir for embedded chDB
  AGENTSTATE_CLICKHOUSE_DATABASE  database of every table (default agentstate)
  AGENTSTATE_SECRET_KEY         server pepper for API-key hashes and JWTs (>= 32 chars; `up` makes one)
  AGENTSTATE_BOOTSTRAP_API_KEY  make the ingest key printed by `up` deterministic
  AGENTSTATE_HOST / _HTTP_PORT / _GRPC_PORT   receiver bind address and ports (4318 / 4317)
  AGENTSTATE_API_PORT / AGENTSTATE_UI_PORT   query API and Streamlit UI ports (8000 / 8501)
  AGENTSTATE_CLICKHOUSE_CLUSTER   ClickHouse cluster for replicated + distributed tables (empty: single node)
  AGENTSTATE_MAX_BODY_BYTES     OTLP request limit after decompression (default 5 MiB)
  AGENTSTATE_HIGH_WATER_ENTRIES waiting entries a project may have before 503 + Retry-After
                                (shared fairly between the projects sending; twice it is the hard limit)
  AGENTSTATE_RATE_LIMIT_SPANS_PER_SECOND  per-project ingest rate limit (0 = none)
  AGENTSTATE_SHARED_RATE_LIMIT_SPANS_PER_SECOND  per-project limit while other projects send (5000; 0 = off)
  AGENTSTATE_HEADER_TIMEOUT_SECONDS / _BODY_TIMEOUT_SECONDS  receiver: slow clients get 408 (10 / 30)
  AGENTSTATE_STATS_TOKEN        bearer token for the receiver's GET /stats (unset: /stats disabled)
  AGENTSTATE_CONSUMER_NAME      stable consumer name of this worker replica (default hostname)
  AGENTSTATE_SECURITY_WORKERS / _COST_WORKERS   processes of each under `up` (default 1)
  AGENTSTATE_RETENTION_DAYS     TTL of stored telemetry (0 = keep)
Run `agentstate <command> --help` for each command.
"""


def _receiver(args: argparse.Namespace) -> int:
    from agentstate.receiver.server import serve
    from agentstate.receiver.settings import ReceiverSettings

    asyncio.run(_until_stopped(lambda stop: serve(ReceiverSettings(), stop)))
    return 0


def _worker(args: argparse.Namespace) -> int:
    from agentstate.processors.settings import WorkerSettings

    settings = WorkerSettings()
    if args.kind == "writer":
        from agentstate.processors.writer_main import run_writer

        companion = None
        if args.with_api:
            from agentstate.cli.embedded_api import api_companion

            companion = api_companion()
        hook = _fault_hook()
        asyncio.run(_until_stopped(lambda stop: run_writer(settings, stop, companion=companion, fault_hook=hook)))
        return 0
    from agentstate.processors import worker_main

    asyncio.run(_until_stopped(lambda stop: worker_main.run(args.kind, settings, stop)))
    return 0


_EARLY_STOP = threading.Event()
"""Set by a SIGTERM/SIGINT that arrives while a server command is still importing and starting."""


def _early_signal(signum: int, frame: object) -> None:
    _EARLY_STOP.set()


async def _until_stopped(run: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
    """Run a server coroutine with a stop event that honours a signal received before it started.

    The server installs its own asyncio signal handlers; a SIGTERM during the seconds of imports
    and start-up before that must still mean "stop cleanly" (drain, ack), not "die mid-way".
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if _EARLY_STOP.is_set():
        stop.set()
    await run(stop)


def _fault_hook() -> Callable[[str], None] | None:
    """Testing only: ``AGENTSTATE_TEST_KILL_AT=before_insert|after_insert`` makes the writer SIGKILL
    itself at that point of its first batch, to prove that nothing is lost or duplicated."""
    import os
    import signal

    point = os.environ.get("AGENTSTATE_TEST_KILL_AT")
    if not point:
        return None

    def hook(where: str) -> None:
        if where == point:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def _migrate(args: argparse.Namespace) -> int:
    from agentstate.processors.settings import WorkerSettings
    from agentstate.processors.writer_main import prepare_schema

    settings = WorkerSettings()
    prepare_schema(settings).close()
    print(f"schema up to date in {settings.clickhouse_database}")
    return 0


def _up(args: argparse.Namespace) -> int:
    from agentstate.cli.up import run_up

    return run_up(args)


def _api(args: argparse.Namespace) -> int:
    from agentstate.cli.embedded_api import serve_api

    return serve_api()


def _users(args: argparse.Namespace) -> int:
    from agentstate.api.users_cli import create

    return create(args)


def _ui(args: argparse.Namespace) -> int:
    from agentstate.cli.up import run_ui

    return run_ui()


def _demo(args: argparse.Namespace) -> int:
    from agentstate.cli.demo import run_demo

    return run_demo(args.endpoint, args.api_key, args.traces)


def _replicas(raw: str) -> int:
    """A worker count for ``up``: an integer from 1 to 32."""
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if not 1 <= n <= 32:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a worker count (an integer from 1 to 32)")
    return n


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="agentstate",
        description="AgentState: observability for AI agents.",
        epilog=_ENV_HELP,
        formatter_class=fmt,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser(
        "up",
        help="run the whole platform on this machine (embedded Valkey + chDB)",
        epilog=_ENV_HELP,
        formatter_class=fmt,
    )
    up.add_argument("--data-dir", default="~/.agentstate", help="where Valkey and ClickHouse keep data")
    up.add_argument("--demo", action="store_true", help="send a demo agent's traces once started")
    up.add_argument("--no-ui", action="store_true", help="do not start the Streamlit UI")
    up.add_argument("--exit-after-demo", action="store_true", help="stop once the demo traces are stored")
    up.add_argument(
        "--security-workers",
        type=_replicas,
        metavar="N",
        default=os.environ.get("AGENTSTATE_SECURITY_WORKERS"),
        help="security engine processes sharing its consumer group (default: $AGENTSTATE_SECURITY_WORKERS, "
        "else 1; loop counts and alerts are shared in Redis, baselines per process)",
    )
    up.add_argument(
        "--cost-workers",
        type=_replicas,
        metavar="N",
        default=os.environ.get("AGENTSTATE_COST_WORKERS"),
        help="cost calculator processes (default: $AGENTSTATE_COST_WORKERS, else 1)",
    )
    up.set_defaults(func=_up)

    rec = sub.add_parser("receiver", help="OTLP receiver (HTTP 4318, gRPC 4317)", epilog=_ENV_HELP, formatter_class=fmt)
    rec.set_defaults(func=_receiver)

    wk = sub.add_parser("worker", help="a stream processor", epilog=_ENV_HELP, formatter_class=fmt)
    wk.add_argument("kind", choices=["writer", "security", "cost"])
    wk.add_argument(
        "--with-api",
        action="store_true",
        help="writer only: also serve the API in-process (embedded chDB allows one process per data directory)",
    )
    wk.set_defaults(func=_worker)

    sub.add_parser("api", help="query API (FastAPI, port 8000)", epilog=_ENV_HELP, formatter_class=fmt).set_defaults(
        func=_api
    )
    users = sub.add_parser("users", help="manage API users").add_subparsers(dest="action", required=True)
    uc = users.add_parser("create", help="create a user (password from $AGENTSTATE_NEW_USER_PASSWORD or prompt)")
    uc.add_argument("email")
    uc.add_argument("--superuser", action="store_true", help="may manage users and every project")
    uc.add_argument("--project", default="default", help="project to join (default: default)")
    uc.add_argument("--role", choices=["admin", "member", "viewer"], default="admin")
    uc.set_defaults(func=_users)
    sub.add_parser("ui", help="Streamlit UI (port 8501)", epilog=_ENV_HELP, formatter_class=fmt).set_defaults(func=_ui)
    sub.add_parser(
        "migrate", help="create or update the ClickHouse tables", epilog=_ENV_HELP, formatter_class=fmt
    ).set_defaults(func=_migrate)
    demo = sub.add_parser("demo", help="send a demo agent's traces")
    demo.add_argument("--endpoint", default="http://127.0.0.1:4318")
    demo.add_argument("--api-key", required=True)
    demo.add_argument("--traces", type=int, default=5)
    demo.set_defaults(func=_demo)
    from agentstate.cli import health

    health.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``agentstate`` console script."""
    args = build_parser().parse_args(argv)
    if args.command in ("receiver", "worker"):
        signal.signal(signal.SIGTERM, _early_signal)
        signal.signal(signal.SIGINT, _early_signal)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
