"""Time of one polkadot-scale block in the reference interpreter.

The polkadot preset: 1000 validators, 100 parachains, 100 cores. The pre-state has a
candidate pending on every core (block 1 of ``checker/scenarios/runtime/polkadot_block.json``);
the measured block carries 1000 signed bitfields with a bit for every core (all 100
candidates become available and are enacted) and 100 new backed candidates, one per
core, each backed by its whole group. ``apply_block`` is pure, so the same block is
applied to the same pre-state repeatedly; the script reports the median and the best
of the runs, and the time of the block's parts; then the same block with 1000 pairwise
different bitfields (random bits), the worst case for the interpreter's grouping of
equal bitfields.

Usage: .venv/bin/python benchmarks/runtime_block.py [RUNS]   (default 50)
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import sys
import time
from importlib import resources

import attrs

from paraspec.checker.runtime_scenario import build_block  # the same input building as `paraspec run`
from paraspec.checker.runtime_scenario import _genesis
from paraspec.model.availability import SignBitfield
from paraspec.model.runtime.runtime import RuntimeModel


def main(runs: int = 20) -> dict:
    doc = json.loads(resources.files("checker").joinpath("scenarios", "runtime", "polkadot_block.json").read_text())
    model = RuntimeModel()
    s0 = _genesis(model, doc)
    s1 = model.apply_block(s0, build_block(model, s0, doc["blocks"][0], "blocks[0]"))
    block = build_block(model, s1, doc["blocks"][1], "blocks[1]")
    assert len(block.inherents[0].bitfields) == 1000 and len(block.inherents[0].backed) == 100
    times, parts = [], {"begin_block": [], "bitfields+timeouts+schedule": [], "candidates+occupied": [],
                        "calls+finalize": []}
    gc.collect()
    gc.disable()  # as in the explicit engine; a collection would land on a random run
    for _ in range(runs):
        t0 = time.perf_counter()
        s2 = model.apply_block(s1, block)
        times.append(time.perf_counter() - t0)
        # the same block, phase by phase
        a = time.perf_counter()
        st = model.begin_block(s1, block)
        b = time.perf_counter()
        st = model.process_inherent_availability(st, block.inherents[0].bitfields)
        c = time.perf_counter()
        st = model.process_inherent_candidates(st, block.inherents[0].backed)
        d = time.perf_counter()
        st = model.process_finalize(model.process_calls(st, block.calls))
        e = time.perf_counter()
        assert st == s2
        for k, v in zip(parts, (b - a, c - b, d - c, e - d)):
            parts[k].append(v)
    # worst case for the per-pattern grouping: 1000 pairwise different bitfields (no candidates:
    # the cores that stay occupied could not take new ones)
    rng = random.Random(0)
    distinct = attrs.evolve(block, inherents=(attrs.evolve(block.inherents[0], backed=(), bitfields=tuple(
        SignBitfield(v, rng.getrandbits(100) | 1 << (v % 100), 100, v) for v in range(1000))),))
    worst = []
    for _ in range(runs):
        t0 = time.perf_counter()
        model.apply_block(s1, distinct)
        worst.append(time.perf_counter() - t0)
    gc.enable()
    enacted = sum(1 for e in s2.events if e.startswith("enacted:"))
    assert enacted == 100 and len(s2.inclusion.pending) == 100
    return {
        "preset": "polkadot",
        "validators": len(s1.validators),
        "cores": len(s1.scheduler.cores),
        "bitfields": 1000,
        "enacted": enacted,
        "backed": 100,
        "runs": runs,
        "block_ms_median": round(statistics.median(times) * 1000, 2),
        "block_ms_best": round(min(times) * 1000, 2),
        "parts_ms_median": {k: round(statistics.median(v) * 1000, 2) for k, v in parts.items()},
        "distinct_bitfields_block_ms_median": round(statistics.median(worst) * 1000, 2),
        "distinct_bitfields_block_ms_best": round(min(worst) * 1000, 2),
        "python": sys.version.split()[0],
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50), indent=1))
