"""`make bench` (Ray part): `inclusion` at `tiny`, the single-process engine beside the Ray
search (local Ray, 2 partitions): time, peak memory per process, and the memory a partition
needs per million states. Writes ``benchmarks/results/ray.json``; skipped (exit 0, one line)
when the extra paraspec[ray] is not installed (`make ray` installs it).

Each search runs in its own process, so the peaks are not mixed up. ``--max-states N`` bounds
both searches (the same bound: the single-process engine and the Ray search stop at the same state).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _one(kind: str, machine: str, preset: str, max_states: int | None, workers: int) -> dict:
    from paraspec.checker.explicit import Checker
    from paraspec.checker.registry import build, load_all, properties_of

    load_all()
    c = (Checker(build(machine, preset)).with_properties(properties_of(machine)).with_engine("explicit")
         .with_max_states(max_states))
    mem: list = []
    t0 = time.perf_counter()
    if kind == "ray":
        from paraspec.checker.distributed.runtime import connect
        from paraspec.checker.distributed.search import run_ray

        connect(None, workers)
        t0 = time.perf_counter()
        r = run_ray(c, workers, memory=mem)
    else:
        r = c.run()
    wall = time.perf_counter() - t0
    out = {"engine": r.engine, "states": r.states, "transitions": r.transitions, "depth": r.depth,
           "complete": r.complete, "ok": r.ok, "wall_s": round(wall, 2),
           "driver_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if mem:
        out["partitions"] = [{"states": n, "visited_mb": round(v / 2**20, 1),
                              "visited_mb_per_million_states": round(v / 2**20 / (n / 1e6), 1) if n else None,
                              "edges_mb": round(e / 2**20, 1),
                              "edges_mb_per_million_states": round(e / 2**20 / (n / 1e6), 1) if n else None,
                              "idle_worker_mb": round(b / 2**20, 1), "rss_end_mb": round(a / 2**20, 1),
                              "peak_mb": round(p / 2**20, 1),
                              # what the peak holds beyond the idle worker, the visited set and the edges:
                              # the frontier and a level's batches (it scales with the widest level)
                              "level_mb_at_peak": round((p - b - v - e) / 2**20, 1)}
                             for n, v, e, b, a, p in mem]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", default="inclusion")
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--max-states", type=int, default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=str(RESULTS / "ray.json"))
    ap.add_argument("--one", choices=("local", "ray"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one, args.machine, args.preset, args.max_states, args.workers)))
        return 0
    try:
        import ray  # noqa: F401
    except ImportError:
        print("bench: Ray part skipped: the extra paraspec[ray] is not installed (`make ray` installs it)",
              file=sys.stderr)
        return 0
    report = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()},
              "model": f"{args.machine} @ {args.preset}", "max_states": args.max_states, "runs": {}}
    for kind in ("local", "ray"):
        cmd = [sys.executable, __file__, "--one", kind, "--machine", args.machine, "--preset", args.preset,
               "--workers", str(args.workers)] + (["--max-states", str(args.max_states)] if args.max_states else [])
        print(f"bench: {args.machine} @ {args.preset}: {kind}", file=sys.stderr, flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            print(p.stderr[-2000:], file=sys.stderr)
            return 1
        report["runs"][kind] = json.loads(p.stdout.strip().splitlines()[-1])
    loc, ray_ = report["runs"]["local"], report["runs"]["ray"]
    same = all(loc[k] == ray_[k] for k in ("states", "transitions", "depth", "complete", "ok"))
    report["same_counts"] = same
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'run':<28}{'states':>10}{'wall s':>9}{'peak MB':>9}")
    print(f"{loc['engine']:<28}{loc['states']:>10,}{loc['wall_s']:>9}{loc['driver_peak_mb']:>9}")
    print(f"{ray_['engine'] + ' (driver)':<28}{ray_['states']:>10,}{ray_['wall_s']:>9}{ray_['driver_peak_mb']:>9}")
    for k, part in enumerate(ray_.get("partitions", [])):
        print(f"{'  partition ' + str(k):<28}{part['states']:>10,}{'':>9}{part['peak_mb']:>9}"
              f"   = idle Ray worker {part['idle_worker_mb']} + visited set {part['visited_mb']} + liveness edges "
              f"{part['edges_mb']} + frontier and level batches {part['level_mb_at_peak']}")
    parts = ray_.get("partitions", [])
    if parts:
        per = max(p["visited_mb_per_million_states"] or 0 for p in parts)
        edges = max(p["edges_mb_per_million_states"] or 0 for p in parts)
        print(f"per million states a partition owns: visited set {per} MB, liveness edges {edges} MB (none "
              "without liveness properties); plus an idle Ray worker and its share of the widest level")
    print("counts agree" if same else "COUNTS DISAGREE")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
