"""Fan-out benchmark: liveclass against a Node socket.io 4.8 reference server, same load.

N official socket.io-client receivers (in Node worker processes, see
``node/loadgen.mjs``) join one class and a sender posts ``chat:send`` at each
rate in turn for ``--seconds``; every ``chat:message`` is timed from send to
receive.  For each server it prints delivered %, p50/p99 latency, server CPU
per delivery (user + system time of the server processes from /proc over the
phase) and server memory per idle joined client (RSS after the joins minus
RSS before, divided by N).  Everything runs on 127.0.0.1 and the load
generator shares the machine's cores with the server.  Usage::

    PYTHONPATH=. python -m scripts.bench.fanout [--clients 1000] [--rates 20] [--seconds 10]
        [--servers liveclass,node] [--repeat 1]

``FANOUT_PROFILE=out.txt`` records the first server during the first phase with
py-spy (raw stacks).  liveclass runs as one process on a fresh SQLite file (``--processes 2`` adds
Redis and PostgreSQL, see :mod:`scripts.bench.fanout_scale`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from scripts.bench.realtime import prepare, token
from scripts.benchlib import (
    LOAD_PRIORITY,
    ROOT,
    cpu_of,
    free_port,
    py_spy,
    scratch_postgres,
    servers,
)
from server.auth import Role
from server.migrate import upgrade
from server.settings import Settings

NODE_DIR = Path(__file__).parent / "node"
SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"
LIVECLASS_ENV = {
    "LIVECLASS_JWT_SECRET": SECRET,
    "LIVECLASS_SECRET_KEY": SECRET,
    "LIVECLASS_LOG_LEVEL": "WARNING",
    "LIVECLASS_RATE_LIMIT_CHAT": "1000000 per 1 second",
}


@dataclass
class Phase:
    rate: float
    delivered: int
    expected: int
    p50: float
    p99: float
    cpu_seconds: float
    send_seconds: float
    # CPU of the load generator (Node and its workers) and of Redis over the phase.
    generator_seconds: float = math.nan
    redis_seconds: float = math.nan

    @property
    def delivered_share(self) -> float:
        return self.delivered / self.expected if self.expected else math.nan

    @property
    def cpu_us(self) -> float:
        return self.cpu_seconds / self.delivered * 1e6 if self.delivered else math.nan

    @property
    def per_second(self) -> float:
        return self.delivered / self.send_seconds if self.send_seconds else math.nan


@dataclass
class Run:
    server: str
    clients: int
    join_seconds: float
    idle_kb_per_client: float
    phases: list[Phase] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and all its descendants (the load generator's workers)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += cpu_of(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
    return total


def redis_pids() -> list[int]:
    """The machine's redis-server processes (read from /proc; their CPU is counted, no more)."""
    pids = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, PermissionError):
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "redis-server":
                pids.append(int(entry.name))
    return pids


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


async def npm_install() -> None:
    if shutil.which("node") is None:
        raise SystemExit("this benchmark needs Node.js 20 and npm")
    if not (NODE_DIR / "node_modules" / "socket.io").exists():
        proc = await asyncio.create_subprocess_exec(
            "npm", "install", "--no-audit", "--no-fund", cwd=NODE_DIR
        )
        if await proc.wait() != 0:
            raise SystemExit("npm install failed")


@contextlib.asynccontextmanager
async def node_reference() -> AsyncIterator[tuple[str, int]]:
    """The Node socket.io reference server on a free port: ``(url, pid)``."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        "node", "reference_server.mjs", str(port), cwd=NODE_DIR, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if b"listening" not in line:
            raise RuntimeError("the reference server did not start")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        await proc.wait()


@contextlib.asynccontextmanager
async def liveclass(processes: int, redis_url: str) -> AsyncIterator[list[tuple[str, int]]]:
    """liveclass: one process on SQLite (no ``redis_url``), or on PostgreSQL sharing Redis."""
    if not redis_url:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            await asyncio.to_thread(upgrade, url)
            async with servers({**LIVECLASS_ENV, "LIVECLASS_DATABASE_URL": url}, 1) as live:
                yield live
        return
    async with scratch_postgres("lc_fanout") as url:
        env = {
            **LIVECLASS_ENV,
            "LIVECLASS_DATABASE_URL": url,
            "LIVECLASS_REDIS_URL": redis_url,
            "LIVECLASS_REDIS_PREFIX": url.rsplit("/", 1)[1],
        }
        async with servers(env, processes) as live:
            yield live


async def load(
    urls: list[str],
    pids: list[int],
    class_id: str,
    tokens: list[str],
    sender: str,
    rates: list[float],
    seconds: float,
) -> tuple[float, list[int], list[Phase]]:
    """Run the load generator: (join seconds, server RSS KB when idle and joined, phases)."""
    config = {
        "urls": urls,
        "classId": class_id,
        "tokens": tokens,
        "senderToken": sender,
        "rates": rates,
        "seconds": seconds,
        "settleMs": 3000,
        "perWorker": 500,
    }
    config_file = tempfile.NamedTemporaryFile("w", suffix=".json")  # noqa: SIM115
    json.dump(config, config_file)
    config_file.flush()
    proc = await asyncio.create_subprocess_exec(
        *LOAD_PRIORITY,
        "node",
        "loadgen.mjs",
        config_file.name,
        cwd=NODE_DIR,
        stdout=asyncio.subprocess.PIPE,
        limit=1 << 24,
    )
    assert proc.stdout is not None
    phases: list[Phase] = []
    join_seconds, idle_rss, cpu_start = math.nan, [0], 0.0
    generator_start = redis_start = generator = redis_cpu = 0.0
    redis = redis_pids()
    profile = os.environ.get("FANOUT_PROFILE")
    profiled: asyncio.subprocess.Process | None = None
    try:
        while line := (await asyncio.wait_for(proc.stdout.readline(), 600)).decode():
            word, _, rest = line.strip().partition(" ")
            if word == "READY":
                join_seconds = json.loads(rest)["joinSeconds"]
                idle_rss = [rss_kb(pid) for pid in pids]
            elif word == "PHASE" and rest.endswith("START"):
                cpu_start = sum(cpu_of(pid) for pid in pids)
                generator_start = tree_cpu(proc.pid)
                redis_start = sum(cpu_of(pid) for pid in redis)
                if profile and not profiled:
                    profiled = await py_spy(pids[0], seconds, profile)
            elif word == "PHASE" and rest.endswith("END"):
                cpu = sum(cpu_of(pid) for pid in pids) - cpu_start
                generator = tree_cpu(proc.pid) - generator_start
                redis_cpu = sum(cpu_of(pid) for pid in redis) - redis_start
            elif word == "RESULT":
                r = json.loads(rest)
                if r["acked"] < r["sent"]:  # refused or failed sends deliver nothing
                    print(
                        f"{r['rate']} msg/s: {r['sent'] - r['acked']} of {r['sent']} sends "
                        f"not acked ok {r.get('refused')}",
                        file=sys.stderr,
                    )
                phases.append(
                    Phase(
                        r["rate"],
                        r["delivered"],
                        r["expected"],
                        r["p50"] if r["p50"] is not None else math.nan,
                        r["p99"] if r["p99"] is not None else math.nan,
                        cpu,
                        r["sendSeconds"],
                        generator,
                        redis_cpu,
                    )
                )
            elif word == "DONE":
                break
        else:
            await proc.wait()
            print(f"load generator exited ({proc.returncode}) before it was done", file=sys.stderr)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await proc.wait()
        config_file.close()
        if profiled is not None:
            await profiled.wait()
    return join_seconds, idle_rss, phases


async def run_liveclass(
    clients: int, rates: list[float], seconds: float, processes: int = 1, redis: str = ""
) -> Run:
    settings = Settings(_env_file=None, jwt_secret=SECRET)
    students = [f"s{i}" for i in range(clients)]
    async with liveclass(processes, redis) as live:
        urls, pids = [u for u, _ in live], [p for _, p in live]
        class_id = await prepare(urls[0], settings, students)
        base = [rss_kb(pid) for pid in pids]
        tokens = [token(settings, s, Role.STUDENT) for s in students]
        sender = token(settings, "mentor", Role.MENTOR)
        joined, idle, phases = await load(urls, pids, class_id, tokens, sender, rates, seconds)
        paths = await delivery_paths(urls)
        for pid in pids:  # measured: no need to wait for thousands of graceful closes
            os.kill(pid, signal.SIGKILL)
    name = f"liveclass, {processes} process{'es' if processes > 1 else ''}"
    name += ", PostgreSQL + Redis" if redis else ", SQLite"
    run = Run(name, clients, joined, (sum(idle) - sum(base)) / clients, phases)
    run.notes.append(f"{name}: deliveries by path {paths}")
    return run


async def delivery_paths(urls: list[str]) -> dict[str, int]:
    """How the servers' broadcasts went out (``liveclass_fanout_deliveries_total``)."""
    paths: dict[str, int] = {}
    async with httpx.AsyncClient() as http:
        for url in urls:
            for line in (await http.get(f"{url}/metrics")).text.splitlines():
                if line.startswith("liveclass_fanout_deliveries_total{"):
                    path = line.split('path="', 1)[1].split('"', 1)[0]
                    paths[path] = paths.get(path, 0) + int(float(line.rsplit(" ", 1)[1]))
    return paths


@contextlib.asynccontextmanager
async def bare_python(mode: str) -> AsyncIterator[tuple[str, int]]:
    """:mod:`scripts.bench.fanout_bare` on a free port: ``(url, pid)``."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "scripts.bench.fanout_bare",
        str(port),
        mode,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def run_reference(server: str, clients: int, rates: list[float], seconds: float) -> Run:
    """A server without liveclass's services: Node socket.io, or bare python-socketio."""
    names = {
        "node": "Node socket.io 4.8",
        "bare-fast": "python-socketio + fast path (no app)",
        "bare-stock": "python-socketio stock (no app)",
    }
    starter = node_reference() if server == "node" else bare_python(server.split("-")[1])
    async with starter as (url, pid):
        async with httpx.AsyncClient() as http:
            await http.get(f"{url}/healthz")
        base = rss_kb(pid)
        tokens = [f"token-s{i:08d}" for i in range(clients)]
        joined, idle, phases = await load(
            [url], [pid], "bench", tokens, "token-mentor", rates, seconds
        )
    return Run(names[server], clients, joined, (idle[0] - base) / clients, phases)


def table(runs: list[Run], reference: Run | None) -> str:
    rows = [
        "| server | clients x msg/s | delivered | p50 ms | p99 ms | deliveries/s "
        "| CPU us/delivery | vs Node | idle KB/client | join s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        for i, phase in enumerate(run.phases):
            ratio = math.nan
            if reference is not None and i < len(reference.phases):
                ratio = phase.cpu_us / reference.phases[i].cpu_us
            rows.append(
                f"| {run.server} | {run.clients} x {phase.rate:g} | {phase.delivered_share:.2%} "
                f"| {phase.p50:.1f} | {phase.p99:.1f} | {phase.per_second:,.0f} "
                f"| {phase.cpu_us:.1f} | {ratio:.2f}x | {run.idle_kb_per_client:.1f} "
                f"| {run.join_seconds:.1f} |"
            )
    return "\n".join(rows)


def cpu_shares(runs: list[Run]) -> str:
    """Who used the machine's CPU in each phase: the server(s), the load generator, Redis."""
    rows = [
        "| server | clients x msg/s | phase s | server CPU s | load generator CPU s "
        "| Redis CPU s | machine's CPU s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        for phase in run.phases:
            rows.append(
                f"| {run.server} | {run.clients} x {phase.rate:g} | {phase.send_seconds:.1f} "
                f"| {phase.cpu_seconds:.1f} | {phase.generator_seconds:.1f} "
                f"| {phase.redis_seconds:.1f} | {phase.send_seconds * (os.cpu_count() or 1):.1f} |"
            )
    return "\n".join(rows)


def load_conditions() -> str:
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.1f} (1 min) {five:.1f} (5 min)"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rates", default="20", help="comma-separated msg/s, one phase each")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--servers",
        default="node,liveclass,bare-fast",
        help="node, liveclass, bare-fast, bare-stock (comma-separated, run in this order)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the servers in turn this many times, then the medians of the ratios to Node",
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    await npm_install()
    print(f"before: {load_conditions()}", file=sys.stderr)
    rounds: list[tuple[list[Run], Run | None]] = []
    for _ in range(args.repeat):
        runs: list[Run] = []
        reference = None
        for server in args.servers.split(","):
            if server in ("node", "bare-fast", "bare-stock"):
                runs.append(await run_reference(server, args.clients, rates, args.seconds))
                if server == "node":
                    reference = runs[-1]
            elif server == "liveclass":
                runs.append(await run_liveclass(args.clients, rates, args.seconds))
            else:
                raise SystemExit(f"unknown server {server!r}")
        print(f"\n{args.clients} clients, {args.seconds:g} s per rate; {load_conditions()}\n")
        print(table(runs, reference))
        print(f"\n{cpu_shares(runs)}")
        for run in runs:
            for note in run.notes:
                print(f"\n{note}")
        rounds.append((runs, reference))
    if args.repeat > 1:
        print(f"\n{ratio_summary(rounds)}")


def ratio_summary(rounds: list[tuple[list[Run], Run | None]]) -> str:
    """CPU per delivery against Node in the same round, over the rounds.

    The machine's speed drifts between runs a minute apart; a ratio taken
    within one round cancels most of it, and the median of several rounds
    the rest.
    """
    ratios: dict[tuple[str, float], list[float]] = {}
    for runs, reference in rounds:
        if reference is None:
            continue
        for run in runs:
            for phase, node in zip(run.phases, reference.phases, strict=False):
                ratios.setdefault((run.server, phase.rate), []).append(phase.cpu_us / node.cpu_us)
    rows = [
        "| server | msg/s | rounds | CPU per delivery vs Node: median | lowest | highest |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for (server, rate), values in ratios.items():
        rows.append(
            f"| {server} | {rate:g} | {len(values)} | {statistics.median(values):.2f}x "
            f"| {min(values):.2f}x | {max(values):.2f}x |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    asyncio.run(main())
