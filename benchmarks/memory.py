"""Memory per million states of `paraspec check`, for `make bench` (issue 17's goal: <= 250 MB).

Each check runs in a fresh process that reports its peak RSS (``ru_maxrss``); the peak of
the same process stopped after one state (the interpreter, the model and the libraries)
is subtracted, and the rest is divided by the states explored. Rows: the explicit engine
on ``availability`` (safety only) and ``inclusion`` (with its liveness properties), the
vector engine on ``avail_core`` (with liveness). ``--quick`` skips ``inclusion`` (the
longest, about 3 CPU minutes).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (machine, preset, engine, skipped by --quick)
CASES = (("availability", "tiny", "explicit", False), ("inclusion", "tiny", "explicit", True),
         ("avail_core", "tiny", "vector", False))

_CODE = """
import json, resource, sys
sys.path.insert(0, {root!r})
from paraspec.checker.explicit import Checker
from paraspec.checker.registry import build, load_all, properties_of
load_all()
m = build({machine!r}, {preset!r})
c = Checker(m).with_properties(properties_of({machine!r})).with_engine({engine!r}).with_max_states({limit!r})
r = c.run()
print(json.dumps({{"states": r.states, "ok": r.ok, "complete": r.complete, "elapsed_s": r.elapsed,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _run(machine: str, preset: str, engine: str, limit: int | None) -> dict:
    code = _CODE.format(root=str(ROOT), machine=machine, preset=preset, engine=engine, limit=limit)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-400:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def measure(machine: str, preset: str, engine: str) -> dict:
    base = _run(machine, preset, engine, 1)
    full = _run(machine, preset, engine, None)
    per_m = (full["max_rss_mb"] - base["max_rss_mb"]) / full["states"] * 1e6 if full["states"] else None
    return {"machine": machine, "preset": preset, "engine": engine, "states": full["states"],
            "complete": full["complete"], "ok": full["ok"], "search_s": full["elapsed_s"],
            "max_rss_mb": full["max_rss_mb"], "baseline_rss_mb": base["max_rss_mb"], "mb_per_million_states": per_m}


def memory_rows(quick: bool = False, log=print) -> list[dict]:
    rows = []
    for machine, preset, engine, slow in CASES:
        if quick and slow:
            continue
        log(f"bench: memory of {machine} @ {preset} ({engine} engine)")
        rows.append(measure(machine, preset, engine))
    return rows


def print_rows(rows: list[dict]) -> None:
    print("\nMemory per million states (peak RSS minus the process's RSS after one state; goal <= 250 MB)")
    for r in rows:
        print(f"  {r['machine']:13s} {r['preset']:6s} {r['engine']:9s} {r['states']:>10,} states  "
              f"peak {r['max_rss_mb']:7.1f} MB  {r['mb_per_million_states']:7.1f} MB per million states"
              + ("" if r["complete"] and r["ok"] else "  (NOT a complete, passing check)"))


if __name__ == "__main__":
    print_rows(memory_rows(quick="--quick" in sys.argv))
