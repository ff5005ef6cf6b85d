"""Vectorized random simulation: many seeded random walks advanced together with numpy.

For machines with vectorized rules (see ``checker.vector``): ``walks`` walks start
from the initial state and take ``walk_depth`` steps each; at every step each walk
picks, uniformly at random, one of the actions its state accepts (the machine's own
guards, evaluated for all walks at once), and the machine's own effects produce the
next states. Properties marked ``@vectorized`` are checked on every state and
transition visited, as the scalar simulator (``checker.simulate``) does. A violation
is reported with the walk that found it, rebuilt and replayed through ``step``; the
same seed gives the same walks.
"""

from __future__ import annotations

import time

import numpy as np

from paraspec.model.core import Rejected
from paraspec.properties.core import Kind

from .results import PropertyResult, Result, Verdict
from .packing import layout_of
from .trace import Trace
from .vector import _broadcast, _mask, _take

__all__ = ["simulate_vector"]


def simulate_vector(machine, props, seed: int = 0, steps: int = 100_000, walk_depth: int = 100,
                    walks: int | None = None, time_limit: float | None = None) -> Result:
    m = machine
    lay = layout_of(m)
    names = [f.name for f in lay.fields]
    acts = tuple(m.action_space())
    rng = np.random.default_rng(seed)
    if walks is None:
        walks = max(1, min(20_000, steps // max(1, walk_depth)))
    invariants = [p for p in props if p.kind == Kind.ALWAYS]
    trans = [p for p in props if p.kind == Kind.TRANSITION]
    somes = [p for p in props if p.kind == Kind.SOMETIMES]
    hits = {p.name: 0 for p in props}
    found: dict[str, tuple[int, int, int | None]] = {}  # name -> (round, walk, step of the violation)
    some_found: dict[str, tuple[int, int, int]] = {}
    start = time.perf_counter()
    total = 0
    rounds = 0
    stopped = None
    inits = list(m.init())
    init_code = lay.code(inits[0])
    history: list[list[np.ndarray]] = []  # per round: the action index taken at each step, per walk
    max_depth = 0
    while total < steps:
        if time_limit is not None and time.perf_counter() - start > time_limit:
            stopped = "time_limit"
            break
        k = min(walks, max(1, (steps - total + walk_depth - 1) // walk_depth))
        codes = np.full(k, init_code, dtype=np.int64)
        alive = np.ones(k, dtype=bool)
        taken: list[np.ndarray] = []
        history.append(taken)
        S = lay.unpack(codes)
        for p in invariants:
            ok = _mask(p.predicate(m, S), k)
            if p.name not in found and not ok.all():
                found[p.name] = (rounds, int(np.argmin(ok)), 0)
        for d in range(walk_depth):
            if total >= steps:
                break
            S = lay.unpack(codes)
            # guards of every action for every walk: pick one enabled action uniformly
            enabled = np.zeros((len(acts), k), dtype=bool)
            for ai, a in enumerate(acts):
                ok = alive.copy()
                for cond, _, _ in m.guards(S, a):
                    ok &= _mask(cond, k)
                enabled[ai] = ok
            n_en = enabled.sum(axis=0)
            alive &= n_en > 0
            r = (rng.random(k) * np.maximum(n_en, 1)).astype(np.int64)
            choice = np.argmax(np.cumsum(enabled, axis=0) > r, axis=0)
            choice = np.where(alive, choice, -1)
            taken.append(choice)
            new = codes.copy()
            for ai, a in enumerate(acts):
                idx = np.nonzero(choice == ai)[0]
                if len(idx) == 0:
                    continue
                Ssub = _take(S, idx, names)
                T = _broadcast(m.effect(Ssub, a), len(idx), names)
                for p in trans:
                    if p.on and not isinstance(a, p.on):
                        continue
                    if p.witness is not None:
                        hits[p.name] += int(_mask(p.witness(m, Ssub, a, T), len(idx)).sum())
                    good = _mask(p.predicate(m, Ssub, a, T), len(idx))
                    if p.name not in found and not good.all():
                        found[p.name] = (rounds, int(idx[np.argmin(good)]), d + 1)
                new[idx] = lay.pack(T)
            codes = new
            n_alive = int(alive.sum())
            total += n_alive
            if n_alive == 0:
                break
            max_depth = max(max_depth, d + 1)
            S = lay.unpack(codes)
            for p in invariants:
                ok = _mask(p.predicate(m, S), k) | ~alive
                if p.name not in found and not ok.all():
                    found[p.name] = (rounds, int(np.argmin(ok)), d + 1)
                if p.witness is not None:
                    hits[p.name] += int((_mask(p.witness(m, S), k) & alive).sum())
            for p in somes:
                got = _mask(p.predicate(m, S), k) & alive
                if got.any():
                    hits[p.name] += int(got.sum())
                    if p.name not in some_found:
                        some_found[p.name] = (rounds, int(np.argmax(got)), d + 1)
        rounds += 1
    elapsed = time.perf_counter() - start

    def replay(rnd: int, walk: int, upto: int) -> Trace:
        s = inits[0]
        states, actions = [s], []
        for d in range(upto):
            ai = int(history[rnd][d][walk])
            a = acts[ai]
            t = m.step(s, a)
            states.append(t)
            actions.append(a)
            s = t
        return Trace.of(m, tuple(states), tuple(actions))

    results = []
    for p in props:
        if p.name in found:
            rnd, walk, upto = found[p.name]
            tr = replay(rnd, walk, upto)
            if p.kind == Kind.TRANSITION:  # the violating step is the last one: make it the extension
                prev = Trace(tr.machine, tr.preset, tr.mutant, tr.states[:-1], tr.actions[:-1])
                a = tr.actions[-1]
                try:
                    t = m.step(prev.states[-1], a)
                except Rejected as r:
                    t = r
                tr = prev.extend(a, t)
            results.append(PropertyResult(p, Verdict.VIOLATED, tr, hits[p.name]))
        elif p.kind in (Kind.ALWAYS, Kind.TRANSITION):
            results.append(PropertyResult(p, Verdict.HOLDS, None, hits[p.name]))
        elif p.kind == Kind.SOMETIMES:
            if p.name in some_found:
                results.append(PropertyResult(p, Verdict.WITNESSED, replay(*some_found[p.name]), hits[p.name]))
            else:
                results.append(PropertyResult(p, Verdict.UNWITNESSED, None, 0))
        else:
            results.append(PropertyResult(p, Verdict.NOT_CHECKED))
    return Result(
        machine=m.name, preset=m.config.name, mutant=m.mutant_name, engine=f"vector-simulation(seed={seed})",
        states=0, transitions=total, depth=max_depth, complete=False, stopped=stopped, elapsed=elapsed,
        properties=tuple(results), rejections={},
    )
