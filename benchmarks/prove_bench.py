"""Benchmark of the symbolic engine: the time of every lemma and every proof.

    .venv/bin/python benchmarks/prove_bench.py [--repeat N] [--mutants] [--json FILE]
    .venv/bin/python benchmarks/prove_bench.py --largest-n [--budget S]

Prints, per lemma, the best wall and CPU time over ``--repeat`` runs (goal: each lemma
under one second); per machine and preset, the time to build the symbolic encoding and
to prove every property by k-induction, side by side with the explicit engine's
exhaustive search of the same preset (the peer: both establish the invariants on every
reachable state), as a ratio; with ``--mutants``, the BMC time to the shortest
counterexample of every mutant. Results also go to ``benchmarks/results/prove.json``.

``--largest-n`` (also part of ``make bench``): the largest validator count N at which each
proof route decides every safety property within the budget (60 s): k-induction over
bit-vectors as wide as the masks (``checker/symbolic/wide.py``, ``avail_core`` and
``availability``), and the
counting abstractions (``Machine.counting_models``: their lemmas hold for every N; the
time includes the soundness check against the explicit engine at N = 3).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from paraspec.checker.explicit import Checker  # noqa: E402
from paraspec.checker.registry import build, load_all, properties_of  # noqa: E402
from paraspec.checker.symbolic.encoding import MachineEncoding  # noqa: E402
from paraspec.checker.symbolic.lemmas import all_lemmas  # noqa: E402
from paraspec.checker.symbolic.run import bmc_mutant, prove_machine_item  # noqa: E402

MACHINES = [("availability", "tiny", {}), ("availability", "trio", {}), ("availability", "small", {}),
            ("inclusion", "trio", {"max_candidates": 1}), ("inclusion", "tiny", {"max_candidates": 1}),
            ("inclusion", "tiny", {})]


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


#: validator counts tried by the wide k-induction route, in order (it stops at the first miss)
WIDE_NS = (16, 32, 64, 100, 128, 192, 256, 384, 512, 768, 1024)


def largest_n_wide(budget: float = 60.0, machine: str = "avail_core", ns=WIDE_NS, log=print) -> dict:
    """The largest N whose every always/transition property of ``machine`` (tiny, with
    ``n_validators=N``) the wide route proves within ``budget`` seconds."""
    from paraspec.checker.symbolic.wide import prove_wide

    tried, best = [], None
    for n in ns:
        m = build(machine, "tiny", overrides={"n_validators": n})
        c0 = time.process_time()
        (verdicts, summary), w, _ = timed(lambda: prove_wide(m, properties_of(machine), timeout=budget))
        proved = sum(1 for v in verdicts.values() if v.status == "proved")
        c = time.process_time() - c0
        ok = proved == len(verdicts) and w <= budget
        tried.append({"n": n, "width_bits": summary.get("width_bits"), "wall_s": round(w, 2), "cpu_s": round(c, 2),
                      "proved": proved, "items": len(verdicts)})
        log(f"prove-bench: wide {machine} N={n} ({summary.get('width_bits')}-bit vectors): "
            f"{proved}/{len(verdicts)} proved in {w:.1f}s ({c:.1f}s CPU)")
        if not ok:
            break
        best = n
    return {"route": "k-induction over wide bit-vectors", "machine": machine, "budget_s": budget,
            "largest_n": best, "tried": tried}


def counting_routes(budget: float = 60.0, log=print) -> list[dict]:
    """Each counting abstraction: its lemma (for every N) and its soundness check at N = 3."""
    from paraspec.checker.symbolic.counting import check_soundness, counting_models
    from paraspec.checker.symbolic.crosscheck import reachable_states
    from paraspec.checker.symbolic.lemmas import counting_lemma

    out = []
    for cls, cm in counting_models():
        lm = counting_lemma(cm, cls)
        r, wl, _ = timed(lambda: lm.prove(budget))
        small = {"max_candidates": 1} if "max_candidates" in attrs.fields_dict(cls.Params) else {}
        m = build(cls.name, "trio", overrides=small)
        (steps, problems), ws, _ = timed(lambda: check_soundness(cm, m, reachable_states(m, 6)))
        proved = r.verdict.status == "proved" and not problems
        out.append({"route": "counting abstraction", "machine": cls.name, "lemma": lm.name, "rules": list(lm.rules),
                    "verdict": r.verdict.status, "lemma_s": round(wl, 3), "soundness_n": m.params.n_validators,
                    "soundness_steps": steps, "soundness_problems": problems[:3], "soundness_s": round(ws, 3),
                    "largest_n": "every N >= 1" if proved else None})
        log(f"prove-bench: counting {lm.name}: {r.verdict.status} in {wl:.2f}s; sound at N={m.params.n_validators} "
            f"({steps} abstract steps, {len(problems)} problems, {ws:.1f}s)")
    return out


def print_largest(wide: dict, counting: list[dict], wide_availability: dict | None = None,
                  explicit_n: Any = None) -> None:
    """The table; ``explicit_n``: the old figure (the explicit engine with symmetry), beside."""
    print(f"\nLargest N decided within {wide['budget_s']:.0f} s, by proof route")
    print(f"  {'route':36s} {'machine':13s} {'largest N':>12s}  what")
    if explicit_n is not None:
        print(f"  {'explicit search with symmetry (old)':36s} {'avail_core':13s} {explicit_n!s:>12s}  every safety "
              f"verdict, exhaustively")
    for w in [wide] + ([wide_availability] if wide_availability else []):
        last = w["tried"][-1] if w["tried"] else {}
        print(f"  {w['route']:36s} {w['machine']:13s} {w['largest_n']!s:>12s}  every always/transition "
              f"property ({last.get('items', 0)}); first miss: "
              + (f"N={last['n']} ({last['proved']}/{last['items']} in {last['wall_s']} s)"
                 if w["largest_n"] != last.get("n") else "none"))
    for c in counting:
        print(f"  {c['route']:36s} {c['machine']:13s} {c['largest_n']!s:>12s}  {c['lemma']} "
              f"({c['lemma_s']} s; sound at N={c['soundness_n']}: {c['soundness_s']} s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mutants", action="store_true", help="also time the BMC of every mutant")
    ap.add_argument("--no-explicit", action="store_true", help="skip the explicit-engine peer runs")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "prove.json"))
    ap.add_argument("--largest-n", action="store_true",
                    help="only the largest N each proof route decides within --budget seconds")
    ap.add_argument("--budget", type=float, default=60.0)
    args = ap.parse_args()
    load_all()
    if args.largest_n:
        wide, counting = largest_n_wide(args.budget), counting_routes(args.budget)
        print_largest(wide, counting, largest_n_wide(args.budget, "availability"))
        return 0
    out: dict = {"lemmas": [], "machines": [], "mutants": []}

    print(f"{'lemma':58s} {'verdict':10s} {'wall s':>8s} {'cpu s':>8s}")
    for lm in all_lemmas():
        best_w = best_c = float("inf")
        verdict = None
        for _ in range(args.repeat):
            r, w, c = timed(lambda: lm.prove(timeout=60))
            verdict = r.verdict.status
            best_w, best_c = min(best_w, w), min(best_c, c)
        flag = "" if best_w < 1.0 else "  (over 1 s)"
        print(f"{lm.name:58s} {verdict:10s} {best_w:8.3f} {best_c:8.3f}{flag}")
        out["lemmas"].append({"name": lm.name, "rules": list(lm.rules), "verdict": verdict,
                              "wall_s": round(best_w, 4), "cpu_s": round(best_c, 4)})
    n_fast = sum(1 for x in out["lemmas"] if x["wall_s"] < 1.0)
    print(f"{n_fast}/{len(out['lemmas'])} lemmas under one second (best of {args.repeat})\n")

    print(f"{'machine':13s} {'preset':18s} {'encode s':>9s} {'prove s':>8s} {'k':>3s} {'proved':>8s} "
          f"{'explicit s':>11s} {'states':>9s} {'prove/explicit':>15s}")
    for name, preset, ov in MACHINES:
        m = build(name, preset, overrides=ov)
        label = preset + (f" {ov}" if ov else "")
        enc, we, _ = timed(lambda: MachineEncoding(m))
        (proof, items), wp, _ = timed(lambda: prove_machine_item(m, properties_of(name), max_k=4, timeout=600))
        proved = sum(1 for i in items if i.status == "proved")
        row = {"machine": name, "preset": preset, "overrides": ov, "encode_s": round(we, 3),
               "prove_s": round(wp, 3), "k": proof.k, "proved": proved, "items": len(items),
               "unproved": [i.name for i in items if i.status != "proved"]}
        ex_txt = "-"
        ratio_txt = "-"
        if not args.no_explicit:
            r, wx, _ = timed(lambda: Checker(m).with_properties(properties_of(name)).run())
            row.update(explicit_s=round(wx, 3), states=r.states, explicit_ok=r.ok)
            ex_txt = f"{wx:11.2f}"
            ratio_txt = f"{wp / wx:15.2f}" if wx > 0 else "-"
        print(f"{name:13s} {label:18s} {we:9.2f} {wp:8.2f} {proof.k:3d} {proved:4d}/{len(items):<3d} "
              f"{ex_txt:>11s} {row.get('states', '-'):>9} {ratio_txt:>15s}")
        out["machines"].append(row)

    if args.mutants:
        from paraspec.properties.core import MUTANTS

        print(f"\n{'mutant':32s} {'preset':8s} {'bmc s':>7s}  counterexamples")
        for mu in MUTANTS.values():
            m = build(mu.machine, None, mu.name)
            (proof, items), w, _ = timed(lambda: bmc_mutant(m, properties_of(mu.machine), mu.kills, depth=10,
                                                            timeout=600))
            ces = {k: (len(v.trace) if v.status == "counterexample" else v.status) for k, v in proof.verdicts.items()}
            print(f"{mu.name:32s} {m.config.name:8s} {w:7.2f}  {ces}")
            out["mutants"].append({"name": mu.name, "preset": m.config.name, "bmc_s": round(w, 3), "lengths": ces})

    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nwritten {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
