"""Two liveclass processes + Redis against one: deliveries per second at 0 loss.

Both setups run on a fresh PostgreSQL database with Redis (so the only
difference is the second process); receivers are spread evenly over the
processes, the sender posts to the first.  The load generator steps up through
``--rates`` on the same connected clients; for each setup the capacity is the
deliveries/s of the last rate delivered completely before the first that lost
some.  When even the top rate lost nothing, the capacity is not found and the
output says so: raise ``--rates``.  Usage::

    PYTHONPATH=. python -m scripts.bench.fanout_scale [--clients 1000]
        [--rates 20,40,60,80,100,120,150,200] [--seconds 5] [--redis redis://127.0.0.1:6379/0]

On a 2-core machine the two servers, Redis and the load generator share the
same two cores: the ratio it prints is a floor, not what two machines give.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from scripts.bench.fanout import (
    Run,
    cpu_shares,
    load_conditions,
    npm_install,
    run_liveclass,
    table,
)


def capacity(run: Run) -> tuple[float, bool]:
    """Deliveries/s of the last rate with nothing lost before the first that lost some (0
    when the first did), and whether a rate that lost some was reached (a limit found)."""
    found = 0.0
    for phase in run.phases:
        if phase.delivered < phase.expected:
            return found, True
        found = phase.per_second
    return found, False


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rates", default="20,40,60,80,100,120,150,200")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    await npm_install()
    print(f"before: {load_conditions()}", file=sys.stderr)
    runs = [
        await run_liveclass(args.clients, rates, args.seconds, processes, args.redis)
        for processes in (1, 2)
    ]
    print(f"\n{args.clients} clients, {args.seconds:g} s per rate; {load_conditions()}\n")
    print(table(runs, None))
    print(f"\n{cpu_shares(runs)}")
    (one, one_found), (two, two_found) = (capacity(run) for run in runs)
    ratio = two / one if one else float("nan")
    print(f"\ncapacity at 0 loss: 1 process {one:,.0f}/s, 2 processes {two:,.0f}/s ({ratio:.2f}x)")
    for processes, found in ((1, one_found), (2, two_found)):
        if not found:
            print(f"{processes} process(es): nothing lost even at the top rate; raise --rates")
    for run in runs:
        for note in run.notes:
            print(note)


if __name__ == "__main__":
    asyncio.run(main())
