"""Seeded random simulation: walks far deeper than exhaustive search reaches.

Each walk starts from an initial state and picks, uniformly at random among the
inputs the machine accepts, the next step, until it reaches ``walk_depth`` or a
state with no accepted input. The same ``seed`` gives the same walks, so every
counterexample is reproducible (and is replayed into a :class:`Trace`).
"""

from __future__ import annotations

import random
import time

from paraspec.model.core import Machine, Rejected
from paraspec.properties.core import Kind, Property

from .results import ModelError, PropertyResult, Result, Verdict
from .trace import Trace

__all__ = ["simulate"]


def simulate(machine: Machine, props: list[Property] | tuple[Property, ...], seed: int = 0,
             steps: int = 10_000, walk_depth: int = 100, time_limit: float | None = None,
             progress=None) -> Result:
    m = machine
    rng = random.Random(seed)
    invariants = [p for p in props if p.kind == Kind.ALWAYS]
    trans = [p for p in props if p.kind == Kind.TRANSITION]
    somes = [p for p in props if p.kind == Kind.SOMETIMES]
    hits = {p.name: 0 for p in props}
    found: dict[str, Trace] = {}
    some_found: dict[str, Trace] = {}
    rejections: dict[str, int] = {}
    inits = list(m.init())
    start = time.perf_counter()
    total = 0
    walks = 0
    max_depth = 0
    error = None
    stopped = None
    seen_fps: set[int] = set()
    from .fingerprint import fingerprint

    while total < steps and error is None:
        if time_limit is not None and time.perf_counter() - start > time_limit:
            stopped = "time_limit"
            break
        walks += 1
        s = inits[rng.randrange(len(inits))]
        states = [s]
        actions: list = []

        def trace() -> Trace:
            return Trace.of(m, tuple(states), tuple(actions))

        try:
            for p in invariants:
                if p.witness is not None and p.witness(m, s):
                    hits[p.name] += 1
                if p.name not in found and not p.predicate(m, s):
                    found[p.name] = trace()
            for depth in range(walk_depth):
                if total >= steps:
                    break
                options = list(m.actions(s))
                rng.shuffle(options)
                nxt = None
                chosen = None
                for a in options:
                    t = _step(m, s, a)
                    for p in trans:
                        if p.on and not isinstance(a, p.on):
                            continue
                        if p.witness is not None and p.witness(m, s, a, t):
                            hits[p.name] += 1
                        if p.name not in found and not p.predicate(m, s, a, t):
                            found[p.name] = trace().extend(a, t)
                    if isinstance(t, Rejected):
                        rejections[t.rule_id] = rejections.get(t.rule_id, 0) + 1
                        continue
                    nxt, chosen = t, a
                    break
                if nxt is None:
                    break  # no accepted input: end of this walk
                s = nxt
                states.append(s)
                actions.append(chosen)
                total += 1
                max_depth = max(max_depth, len(actions))
                seen_fps.add(fingerprint(s))
                for p in invariants:
                    if p.witness is not None and p.witness(m, s):
                        hits[p.name] += 1
                    if p.name not in found and not p.predicate(m, s):
                        found[p.name] = trace()
                for p in somes:
                    if p.name not in some_found and p.predicate(m, s):
                        some_found[p.name] = trace()
                        hits[p.name] += 1
        except Exception as e:  # a bug in the model
            import traceback

            error = ModelError(f"{type(e).__name__}: {e}", trace(), traceback.format_exc(limit=6))
        if progress is not None and walks % 50 == 0:
            progress(total, max_depth, time.perf_counter() - start)

    results = []
    for p in props:
        if p.name in found:
            results.append(PropertyResult(p, Verdict.VIOLATED, found[p.name], hits[p.name]))
        elif p.kind in (Kind.ALWAYS, Kind.TRANSITION):
            results.append(PropertyResult(p, Verdict.HOLDS, None, hits[p.name]))
        elif p.kind == Kind.SOMETIMES:
            if p.name in some_found:
                results.append(PropertyResult(p, Verdict.WITNESSED, some_found[p.name], hits[p.name]))
            else:
                results.append(PropertyResult(p, Verdict.UNWITNESSED, None, 0))
        else:
            results.append(PropertyResult(p, Verdict.NOT_CHECKED))
    return Result(
        machine=m.name, preset=m.config.name, mutant=m.mutant_name, engine=f"simulation(seed={seed})",
        states=len(seen_fps), transitions=total, depth=max_depth, complete=False, stopped=stopped,
        elapsed=time.perf_counter() - start, properties=tuple(results),
        rejections=dict(sorted(rejections.items())), error=error,
    )


def _step(m, s, a):
    try:
        return m.step(s, a)
    except Rejected as r:
        return r
