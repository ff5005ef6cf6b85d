"""Memory per million states of `paraspec check`, for `make bench` (issue 17's goal: <= 250 MB).

Each check runs in a fresh process. Once the model is built, the process resets its RSS
high-water mark (Linux: ``/proc/self/clear_refs``) and notes its resident size; the peak
reached during the search minus that size, divided by the states explored, is the figure.
(A peak-minus-peak measure, ``ru_maxrss`` of the full run minus that of a one-state run,
reads 0 whenever the search grows less than a transient of the start-up: the imports and
registry loading peak at about 200 MB, above what a 90k-state search adds. Without
``clear_refs`` the script falls back to it and says so.) Rows: the explicit engine
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
def kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(field)
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the high-water mark (VmHWM) to the current resident size
    before_kb = kb("VmRSS")
except OSError:
    before_kb = None
r = c.run()
print(json.dumps({{"states": r.states, "ok": r.ok, "complete": r.complete, "elapsed_s": r.elapsed,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "search_start_mb": None if before_kb is None else before_kb / 1024,
                  "search_peak_mb": None if before_kb is None else kb("VmHWM") / 1024}}))
"""


def _run(machine: str, preset: str, engine: str, limit: int | None) -> dict:
    code = _CODE.format(root=str(ROOT), machine=machine, preset=preset, engine=engine, limit=limit)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-400:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def measure(machine: str, preset: str, engine: str) -> dict:
    full = _run(machine, preset, engine, None)
    if full["search_start_mb"] is not None:
        method, base_mb, grown = "clear_refs", full["search_start_mb"], full["search_peak_mb"] - full["search_start_mb"]
    else:  # no /proc/self/clear_refs: peak minus the peak of a one-state run (reads low, see above)
        base_mb = _run(machine, preset, engine, 1)["max_rss_mb"]
        method, grown = "maxrss-difference", full["max_rss_mb"] - base_mb
    per_m = grown / full["states"] * 1e6 if full["states"] else None
    return {"machine": machine, "preset": preset, "engine": engine, "states": full["states"],
            "complete": full["complete"], "ok": full["ok"], "search_s": full["elapsed_s"],
            "max_rss_mb": full["max_rss_mb"], "baseline_rss_mb": base_mb, "method": method,
            "mb_per_million_states": per_m}


def memory_rows(quick: bool = False, log=print) -> list[dict]:
    rows = []
    for machine, preset, engine, slow in CASES:
        if quick and slow:
            continue
        log(f"bench: memory of {machine} @ {preset} ({engine} engine)")
        rows.append(measure(machine, preset, engine))
    return rows


def print_rows(rows: list[dict]) -> None:
    print("\nMemory per million states (peak RSS during the search minus the RSS when it began; goal <= 250 MB)")
    for r in rows:
        print(f"  {r['machine']:13s} {r['preset']:6s} {r['engine']:9s} {r['states']:>10,} states  "
              f"peak {r['max_rss_mb']:7.1f} MB  {r['mb_per_million_states']:7.1f} MB per million states"
              + ("" if r["complete"] and r["ok"] else "  (NOT a complete, passing check)")
              + ("" if r.get("method", "clear_refs") == "clear_refs" else "  (peak minus peak: may read low)"))


if __name__ == "__main__":
    print_rows(memory_rows(quick="--quick" in sys.argv))
