"""`make bench`: paraspec beside SPIN and Quint on the `avail_core` twin, in one run.

Installs the peers when missing (SPIN with apt-get; Quint 0.33.0 with npm into
``benchmarks/.cache/quint``, never committed), then for N = 4, 5, 6 validators and 2 cores:

* SPIN (``gcc -O2 -DSAFETY -DNOREDUCE``, the invariant as a never claim): states stored, search time;
* paraspec exhaustive without reduction (every safety property of ``avail_core``): the
  distinct-state count must equal SPIN's (and ``(9 (3 2^N + 1))^2``), else the run fails;
* paraspec with symmetry (validators and cores);
* simulation: Quint's simulator (TypeScript backend) and paraspec's, in steps/s;
* the largest N paraspec decides within 60 s (symmetry);
* one Polkadot-scale block in the interpreter (``benchmarks/block.py``);
* a run of more than 10 million states (N = 7, no reduction), its time and peak memory;
* memory per million states of `paraspec check` (``benchmarks/memory.py``).

Prints a table of times and ratios and writes ``benchmarks/results/bench.json``.
``--quick`` skips the largest-N search and the 10M-state run. Timings are measured,
never asserted: the exit code is non-zero only when the state counts disagree or a tool
fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

CACHE = HERE / ".cache"
QUINT_DIR = CACHE / "quint"
QUINT_VERSION = "0.33.0"
RESULTS = HERE / "results"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- peers ---------------------------------------------------------------------------------------


def ensure_spin() -> str | None:
    if shutil.which("spin") and shutil.which("gcc"):
        return None
    log("bench: SPIN (or gcc) missing: apt-get install -y spin gcc")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    for cmd in (prefix + ["apt-get", "update", "-qq"], prefix + ["apt-get", "install", "-y", "-qq", "spin", "gcc"]):
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            return f"cannot install SPIN: {' '.join(cmd)}: {r.stderr.strip().splitlines()[-1:] or r.returncode}"
    return None if shutil.which("spin") else "SPIN still missing after apt-get"


def quint_bin() -> Path:
    return QUINT_DIR / "node_modules" / ".bin" / "quint"


def ensure_quint() -> str | None:
    if quint_bin().exists():
        return None
    if not shutil.which("npm"):
        return "npm missing: cannot install Quint"
    QUINT_DIR.mkdir(parents=True, exist_ok=True)
    (QUINT_DIR / "package.json").write_text(json.dumps({
        "name": "paraspec-bench-peers",
        "private": True,
        "dependencies": {"@informalsystems/quint": QUINT_VERSION},
        # quint 0.33's grammar needs this antlr4ts (see DEVELOPERS.md)
        "overrides": {"antlr4ts": "0.5.0-alpha.4"},
    }, indent=2) + "\n")
    log(f"bench: installing Quint {QUINT_VERSION} into {QUINT_DIR} (npm)")
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=QUINT_DIR,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 or not quint_bin().exists():
        return f"npm install of Quint failed: {r.stderr.strip()[-300:]}"
    return None


# -- SPIN ----------------------------------------------------------------------------------------------


def run_spin(n: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="spin-") as d:
        shutil.copy(HERE / "avail_core.pml", d)
        t0 = time.perf_counter()
        subprocess.run(["spin", "-a", f"-DN={n}", "avail_core.pml"], cwd=d, check=True, capture_output=True)
        subprocess.run(["gcc", "-O2", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"], cwd=d, check=True,
                       capture_output=True)
        compile_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        r = subprocess.run(["./pan", "-m1000000"], cwd=d, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    out = r.stdout
    stored = int(re.search(r"(\d+) states, stored", out).group(1))
    errors = int(re.search(r"errors: (\d+)", out).group(1))
    m = re.search(r"elapsed time ([\d.e+]+) seconds", out)
    search = float(m.group(1)) if m else wall
    return {"states": stored, "errors": errors, "search_s": search, "wall_s": wall, "compile_s": compile_s,
            "states_per_s": stored / search if search > 0 else None}


# -- Quint -----------------------------------------------------------------------------------------------


def run_quint(n: int, samples: int, steps: int) -> dict:
    cmd = [str(quint_bin()), "run", "--backend", "typescript", "--main", f"avail_core_n{n}", "--invariant",
           "typeOk", "--max-samples", str(samples), "--max-steps", str(steps), "--seed", "0x1",
           str(HERE / "avail_core.qnt")]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    text = r.stdout + r.stderr
    m = re.search(r"\((\d+)ms", text)
    if r.returncode != 0 or m is None:
        raise RuntimeError(f"quint failed ({r.returncode}): {text.strip()[-400:]}")
    ms = int(m.group(1))
    total = samples * steps
    return {"samples": samples, "steps_per_sample": steps, "steps": total, "sim_s": ms / 1000, "wall_s": wall,
            "steps_per_s": total / (ms / 1000), "ok": "[ok]" in text}


# -- paraspec ------------------------------------------------------------------------------------------


def _machine(n: int):
    from paraspec.checker.registry import build

    return build("avail_core", "tiny", overrides={"n_validators": n})


def _safety():
    from paraspec.checker.registry import properties_of

    return [p for p in properties_of("avail_core") if p.kind.value in ("always", "transition", "sometimes")]


def run_paraspec(n: int, symmetry: bool = False, engine: str = "auto", time_limit: float | None = None) -> dict:
    import gc

    from paraspec.checker.explicit import Checker

    gc.collect()
    c = Checker(_machine(n)).with_properties(_safety()).with_symmetry(symmetry).with_engine(engine)
    if time_limit is not None:
        c = c.with_time_limit(time_limit)
    t0 = time.perf_counter()
    r = c.run()
    wall = time.perf_counter() - t0
    return {"states": r.states, "depth": r.depth, "complete": r.complete, "ok": r.ok, "engine": r.engine,
            "search_s": r.elapsed, "wall_s": wall, "states_per_s": r.states / r.elapsed if r.elapsed else None,
            "verdicts": {p.property.name: p.verdict for p in r.properties}}


def run_paraspec_sim(n: int, steps: int, depth: int) -> dict:
    from paraspec.checker.vsimulate import simulate_vector

    r = simulate_vector(_machine(n), _safety(), seed=1, steps=steps, walk_depth=depth)
    return {"steps": r.transitions, "sim_s": r.elapsed, "steps_per_s": r.transitions / r.elapsed, "ok": r.ok}


def largest_n(budget: float) -> dict:
    """The largest N decided (complete, every safety verdict) within ``budget`` seconds, symmetry on."""
    tried = []
    best = None
    for n in (8, 16, 24, 32, 40, 44, 48, 52, 56, 60, 62):
        r = run_paraspec(n, symmetry=True, time_limit=budget)
        tried.append({"n": n, "states": r["states"], "search_s": round(r["search_s"], 2), "complete": r["complete"]})
        log(f"bench: symmetry N={n}: {r['states']:,} orbit states, {r['search_s']:.1f}s, complete={r['complete']}")
        if not r["complete"] or r["search_s"] > budget:
            break
        best = n
    return {"budget_s": budget, "largest_n": best, "tried": tried,
            "note": "the vectorized engine holds vote masks in int64: N <= 62"}


def run_spine() -> dict:
    """Goal P7 (issue 15): ``paraspec check availability inclusion`` at ``tiny`` (every property, the
    engine ``auto`` picks), timed in this process."""
    from paraspec.checker.explicit import Checker
    from paraspec.checker.registry import build, properties_of

    out: dict = {}
    for name in ("availability", "inclusion"):
        t0 = time.perf_counter()
        r = Checker(build(name, "tiny")).with_properties(properties_of(name)).run()
        out[name] = {"states": r.states, "engine": r.engine, "ok": r.ok, "wall_s": time.perf_counter() - t0}
    out["wall_s"] = sum(v["wall_s"] for v in out.values())
    return out


def run_trio() -> dict:
    """Goal P8 (issue 15): ``inclusion`` at ``trio`` decided exhaustively (its count is pinned in
    tests/manifest.toml)."""
    from paraspec.checker.explicit import Checker
    from paraspec.checker.registry import build, properties_of

    t0 = time.perf_counter()
    r = Checker(build("inclusion", "trio")).with_properties(properties_of("inclusion")).run()
    return {"states": r.states, "engine": r.engine, "complete": r.complete, "ok": r.ok,
            "wall_s": time.perf_counter() - t0}


def run_default_check(jobs: int | None) -> dict:
    """``paraspec check`` at the default preset, every machine, as a user runs it (a fresh process,
    the figures checked against the manifest's pins): wall time with ``--jobs`` (None: its default,
    one run per CPU) and the searches' total."""
    out = RESULTS / f"default-check-{jobs or 'auto'}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "paraspec.checker.cli", "check", "--quiet", "--manifest",
            str(ROOT / "tests" / "manifest.toml"), "--json", str(out)]
    if jobs is not None:
        argv += ["--jobs", str(jobs)]
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"paraspec check --jobs {jobs}: exit {p.returncode}: {(p.stdout + p.stderr)[-400:]}")
    rs = json.loads(out.read_text())["results"]
    return {"jobs": jobs or "auto", "wall_s": wall, "runs": len(rs), "states": sum(r["states"] for r in rs),
            "search_s": sum(r["elapsed_s"] for r in rs),
            "slowest": max(((r["machine"], r["elapsed_s"]) for r in rs), key=lambda x: x[1])}


def run_big(n: int = 7) -> dict:
    """A run of more than 10 million states in a fresh process: time and peak memory."""
    code = ("import json, resource, sys; sys.path.insert(0, %r); from benchmarks.run import run_paraspec; "
            "r = run_paraspec(%d); r['max_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; "
            "print(json.dumps(r))") % (str(ROOT), n)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-400:])
    return json.loads(p.stdout.strip().splitlines()[-1])


# -- the run -----------------------------------------------------------------------------------------------


def fmt(x, nd=2):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the largest-N search and the 10M-state run")
    ap.add_argument("--ns", default="4,5,6", help="validator counts for the exhaustive comparison")
    ap.add_argument("--quint-samples", type=int, default=400)
    ap.add_argument("--json", default=str(RESULTS / "bench.json"))
    args = ap.parse_args(argv)
    ns = [int(x) for x in args.ns.split(",")]

    problems = []
    spin_err = ensure_spin()
    quint_err = ensure_quint()
    for e in (spin_err, quint_err):
        if e:
            problems.append(e)
            log("bench: " + e)

    report: dict = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                                "cpus": os.cpu_count(), "load": os.getloadavg()},
                    "exhaustive": {}, "simulation": {}, "goals": {}}
    rows = []
    for n in ns:
        expected = (9 * (3 * 2 ** n + 1)) ** 2
        entry: dict = {"expected_states": expected}
        if not spin_err:
            log(f"bench: SPIN N={n}")
            entry["spin"] = run_spin(n)
        log(f"bench: paraspec N={n} (no reduction)")
        entry["paraspec"] = run_paraspec(n)
        log(f"bench: paraspec N={n} (symmetry)")
        entry["paraspec_symmetry"] = run_paraspec(n, symmetry=True)
        if n == ns[0]:
            log(f"bench: paraspec N={n} (explicit engine, state by state, 30 s sample)")
            entry["paraspec_explicit"] = run_paraspec(n, engine="explicit", time_limit=30)
        agree = entry["paraspec"]["states"] == expected and (
            "spin" not in entry or entry["spin"]["states"] == entry["paraspec"]["states"])
        entry["counts_agree"] = agree
        if not agree:
            problems.append(f"N={n}: distinct-state counts disagree: paraspec {entry['paraspec']['states']}, "
                            f"SPIN {entry.get('spin', {}).get('states')}, expected {expected}")
        if not entry["paraspec"]["ok"] or not entry["paraspec_symmetry"]["ok"]:
            problems.append(f"N={n}: a property failed in paraspec")
        report["exhaustive"][n] = entry
        sp = entry.get("spin", {})
        for label, r in (("SPIN", sp), ("paraspec", entry["paraspec"]), ("paraspec+symmetry",
                                                                         entry["paraspec_symmetry"]),
                         ("paraspec explicit", entry.get("paraspec_explicit"))):
            if not r:
                continue
            ratio = (r["search_s"] / sp["search_s"]) if sp and label != "SPIN" and r.get("complete", True) else None
            rows.append((f"N={n}", label, fmt(r["states"], 0), fmt(r["search_s"]), fmt(r.get("states_per_s"), 0),
                         fmt(ratio, 3) if ratio else "-",
                         "" if r.get("complete", True) else "partial (time limit)"))

    # simulation
    sim_n = ns[-1]
    if not quint_err:
        log(f"bench: Quint simulator N={sim_n}")
        try:
            report["simulation"]["quint"] = run_quint(sim_n, args.quint_samples, 50)
        except RuntimeError as e:
            problems.append(str(e))
    log(f"bench: paraspec simulation N={sim_n}")
    report["simulation"]["paraspec"] = run_paraspec_sim(sim_n, 2_000_000, 50)

    log("bench: check availability inclusion at tiny (goal P7)")
    report["spine"] = run_spine()

    log("bench: inclusion at trio (goal P8)")
    report["trio"] = run_trio()
    log("bench: paraspec check, every machine at the default preset (--jobs 1, then the default)")
    report["default_check"] = {"one": run_default_check(1), "auto": run_default_check(None)}

    log("bench: Polkadot-scale block")
    from benchmarks.block import bench_block

    report["block"] = bench_block()

    from benchmarks.memory import memory_rows, print_rows

    report["memory"] = memory_rows(quick=args.quick, log=log)

    if not args.quick:
        log("bench: largest N within 60 s (symmetry)")
        report["largest_n"] = largest_n(60.0)
        from benchmarks.prove_bench import counting_routes, largest_n_wide

        log("bench: largest N within 60 s by proof (wide k-induction; counting abstractions)")
        report["largest_n_proof"] = {"wide": largest_n_wide(60.0, log=log), "counting": counting_routes(60.0, log=log),
                                     "wide_availability": largest_n_wide(60.0, "availability", log=log)}
        log("bench: more than 10M states (N=7, no reduction)")
        report["big"] = run_big(7)

    # goals
    ex = report["exhaustive"].get(6) or report["exhaustive"][ns[-1]]
    g = report["goals"]
    if "spin" in ex:
        g["symmetry_time_vs_spin"] = {"value": ex["paraspec_symmetry"]["search_s"] / ex["spin"]["search_s"],
                                      "goal": "<= 0.1"}
        g["raw_rate_vs_spin"] = {"value": ex["paraspec"]["states_per_s"] / ex["spin"]["states_per_s"],
                                 "goal": ">= 0.5"}
    first = report["exhaustive"][ns[0]]
    if "spin" in first and first.get("paraspec_explicit"):
        # P2': the explicit engine's time for the whole space (its rate over a sample, when the
        # sample stops at its time limit) over SPIN's, at the first N (4)
        ex1 = first["paraspec_explicit"]
        whole = first["expected_states"] / ex1["states_per_s"] if ex1["states_per_s"] else None
        g["explicit_vs_spin_n%d" % ns[0]] = {"value": None if whole is None else whole / first["spin"]["search_s"],
                                             "goal": "<= 20"}
    g["inclusion_trio_states"] = {"value": report["trio"]["states"] if report["trio"]["complete"] else None,
                                  "goal": ">= 1"}
    g["default_check_wall_s"] = {"value": report["default_check"]["auto"]["wall_s"], "goal": "<= 60"}
    spin5 = report["exhaustive"].get(5, {}).get("spin")
    if spin5:
        g["spine_tiny_vs_spin_n5"] = {"value": report["spine"]["wall_s"] / spin5["search_s"], "goal": "<= 10"}
    if "largest_n" in report:
        g["largest_n_in_60s"] = {"value": report["largest_n"]["largest_n"], "goal": ">= 100"}
    if "largest_n_proof" in report:
        g["largest_n_in_60s_by_proof"] = {"value": report["largest_n_proof"]["wide"]["largest_n"], "goal": ">= 100"}
        if "wide_availability" in report["largest_n_proof"]:
            g["largest_n_in_60s_by_proof_availability"] = {
                "value": report["largest_n_proof"]["wide_availability"]["largest_n"], "goal": ">= 100"}
    if "quint" in report["simulation"]:
        g["simulation_vs_quint"] = {"value": report["simulation"]["paraspec"]["steps_per_s"]
                                    / report["simulation"]["quint"]["steps_per_s"], "goal": ">= 50"}
    g["polkadot_block_ms"] = {"value": report["block"]["block_total_ms"], "goal": "<= 5"}
    if "big" in report:
        g["memory_10M_states_mb"] = {"value": report["big"]["max_rss_mb"], "goal": "<= 4096",
                                     "states": report["big"]["states"]}
    if report["memory"]:
        g["memory_mb_per_million_states"] = {"value": max(r["mb_per_million_states"] for r in report["memory"]),
                                             "goal": "<= 250"}
    for k, v in g.items():
        val, goal = v["value"], v["goal"]
        op, lim = goal.split()
        v["met"] = val is not None and (val <= float(lim) if op == "<=" else val >= float(lim))

    # print
    w = [8, 18, 12, 10, 12, 14, 20]
    head = ("N", "tool", "states", "time s", "states/s", "time/SPIN", "")
    print("\nExhaustive search of the avail_core twin (2 cores), all safety properties")
    print("  ".join(h.ljust(x) for h, x in zip(head, w)))
    for row in rows:
        print("  ".join(str(c).ljust(x) for c, x in zip(row, w)))
    print("\nSimulation (random walks of 50 steps, invariants checked on every state)")
    for k, r in report["simulation"].items():
        print(f"  {k:10s} {fmt(r['steps'], 0):>12s} steps  {fmt(r['sim_s'])} s  {fmt(r['steps_per_s'], 0)} steps/s")
    b = report["block"]
    print(f"\nPolkadot-scale block ({b['validators']} validators x {b['cores']} cores = {b['bits']:,} bits):")
    print(f"  per-bit loop {b['per_bit_loop_ms']:.2f} ms; per-bitfield (machine) {b['per_bitfield_ms']:.2f} ms; "
          f"block-level {b['block_bitfields_ms']:.2f} ms + process_block {b['process_block_ms']:.2f} ms")
    sp = report["spine"]
    print(f"\ncheck availability inclusion at tiny (P7): {sp['wall_s']:.1f} s ("
          + ", ".join(f"{k} {v['states']:,} states on {v['engine']}" for k, v in sp.items() if k != "wall_s") + ")")
    t = report["trio"]
    print(f"inclusion at trio (P8): {t['states']:,} states on {t['engine']}, "
          f"{'complete' if t['complete'] else 'INCOMPLETE'}, {t['wall_s']:.1f} s")
    dc = report["default_check"]
    print("\nparaspec check, every machine at the default preset (all pins checked):")
    for k in ("one", "auto"):
        d = dc[k]
        print(f"  --jobs {d['jobs']!s:5s} {d['wall_s']:6.1f} s wall  ({d['runs']} runs, {d['states']:,} states, "
              f"{d['search_s']:.1f} s of search; slowest {d['slowest'][0]} {d['slowest'][1]:.1f} s)")
    if "largest_n" in report:
        print(f"\nLargest N decided within 60 s with symmetry: {report['largest_n']['largest_n']}")
    if "largest_n_proof" in report:
        from benchmarks.prove_bench import print_largest

        print_largest(report["largest_n_proof"]["wide"], report["largest_n_proof"]["counting"],
                      report["largest_n_proof"].get("wide_availability"), report.get("largest_n", {}).get("largest_n"))
    if "big" in report:
        bg = report["big"]
        print(f"\n{bg['states']:,} states (N=7, no reduction): {bg['search_s']:.1f} s, peak RSS {bg['max_rss_mb']:.0f} MB")
    print_rows(report["memory"])
    print("\nGoals")
    for k, v in g.items():
        val = v["value"]
        print(f"  {k:26s} {fmt(val, 3) if isinstance(val, float) else val!s:>10s}   goal {v['goal']:8s} "
              f"{'met' if v['met'] else 'NOT met'}")
    report["problems"] = problems
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, default=str) + "\n")
    tmp.replace(out)
    print(f"\nJSON: {out}")
    for p in problems:
        print(f"PROBLEM: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
