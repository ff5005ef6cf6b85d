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

import attrs
import numpy as np

from paraspec.properties.core import Kind

from .packing import layout_of
from .results import Result, property_results
from .trace import Trace
from .vector import _broadcast, _mask, _take

__all__ = ["simulate_vector"]


def simulate_vector(machine, props, seed: int = 0, steps: int = 100_000, walk_depth: int = 100,
                    walks: int | None = None, time_limit: float | None = None) -> Result:
    if walks is None:
        walks = max(1, min(20_000, steps // max(1, walk_depth)))
    return _VectorWalks(machine, props, seed, steps, walk_depth, walks, time_limit).run()


class _VectorWalks:
    """Rounds of ``walks`` walks advanced together, and what they met."""

    def __init__(self, m, props, seed: int, steps: int, walk_depth: int, walks: int, time_limit: float | None):
        self.m = m
        self.props = props
        self.seed = seed
        self.steps = steps
        self.walk_depth = walk_depth
        self.walks = walks
        self.time_limit = time_limit
        self.lay = layout_of(m)
        self.names = [f.name for f in self.lay.fields]
        self.acts = tuple(m.action_space())
        self.rng = np.random.default_rng(seed)
        self.invariants = [p for p in props if p.kind == Kind.ALWAYS]
        self.trans = [p for p in props if p.kind == Kind.TRANSITION]
        self.somes = [p for p in props if p.kind == Kind.SOMETIMES]
        self.hits = {p.name: 0 for p in props}
        self.found: dict[str, tuple[int, int, int]] = {}  # name -> (round, walk, step of the violation)
        self.some_found: dict[str, tuple[int, int, int]] = {}
        self.total = 0
        self.rounds = 0
        self.max_depth = 0
        self.inits = list(m.init())
        #: per round: the action index taken at each step, per walk
        self.history: list[list[np.ndarray]] = []

    def check_states(self, S, k: int, alive, d: int) -> None:
        m, found, hits = self.m, self.found, self.hits
        for p in self.invariants:
            ok = _mask(p.predicate(m, S), k) | ~alive
            if p.name not in found and not ok.all():
                found[p.name] = (self.rounds, int(np.argmin(ok)), d)
            if d and p.witness is not None:
                hits[p.name] += int((_mask(p.witness(m, S), k) & alive).sum())
        if not d:
            return
        for p in self.somes:
            got = _mask(p.predicate(m, S), k) & alive
            if got.any():
                hits[p.name] += int(got.sum())
                if p.name not in self.some_found:
                    self.some_found[p.name] = (self.rounds, int(np.argmax(got)), d)

    def choose(self, S, k: int, alive):
        """One enabled action per walk, uniformly (``-1`` for a walk with none); updates ``alive``."""
        m = self.m
        enabled = np.zeros((len(self.acts), k), dtype=bool)
        for ai, a in enumerate(self.acts):
            ok = alive.copy()
            for cond, _, _ in m.guards(S, a):
                ok &= _mask(cond, k)
            enabled[ai] = ok
        n_en = enabled.sum(axis=0)
        alive &= n_en > 0
        r = (self.rng.random(k) * np.maximum(n_en, 1)).astype(np.int64)
        choice = np.argmax(np.cumsum(enabled, axis=0) > r, axis=0)
        return np.where(alive, choice, -1)

    def advance(self, S, codes, choice, d: int):
        """The codes after each walk takes its chosen action (transition properties checked)."""
        m = self.m
        new = codes.copy()
        for ai, a in enumerate(self.acts):
            idx = np.nonzero(choice == ai)[0]
            if len(idx) == 0:
                continue
            Ssub = _take(self.lay, S, idx)
            T = _broadcast(self.lay, m.effect(Ssub, a), len(idx))
            for p in self.trans:
                if p.on and not isinstance(a, p.on):
                    continue
                if p.witness is not None:
                    self.hits[p.name] += int(_mask(p.witness(m, Ssub, a, T), len(idx)).sum())
                good = _mask(p.predicate(m, Ssub, a, T), len(idx))
                if p.name not in self.found and not good.all():
                    self.found[p.name] = (self.rounds, int(idx[np.argmin(good)]), d + 1)
            new[idx] = self.lay.pack(T)
        return new

    def round(self, k: int) -> None:
        lay = self.lay
        codes = np.full(k, lay.code(self.inits[0]), dtype=np.int64)
        alive = np.ones(k, dtype=bool)
        taken: list[np.ndarray] = []
        self.history.append(taken)
        self.check_states(lay.unpack(codes), k, alive, 0)
        for d in range(self.walk_depth):
            if self.total >= self.steps:
                break
            S = lay.unpack(codes)
            choice = self.choose(S, k, alive)
            taken.append(choice)
            codes = self.advance(S, codes, choice, d)
            n_alive = int(alive.sum())
            self.total += n_alive
            if n_alive == 0:
                break
            self.max_depth = max(self.max_depth, d + 1)
            self.check_states(lay.unpack(codes), k, alive, d + 1)

    def run(self) -> Result:
        start = time.perf_counter()
        stopped = None
        while self.total < self.steps:
            if self.time_limit is not None and time.perf_counter() - start > self.time_limit:
                stopped = "time_limit"
                break
            self.round(min(self.walks, max(1, (self.steps - self.total + self.walk_depth - 1) // self.walk_depth)))
            self.rounds += 1
        elapsed = time.perf_counter() - start
        m = self.m
        props = property_results(self.props, self.hits, False, self.found, self.some_found,
                                 self.violation_trace, lambda where: self.replay(*where))
        return Result(
            machine=m.name, preset=m.preset, mutant=m.mutant_name, engine=f"vector-simulation(seed={self.seed})",
            states=0, transitions=self.total, depth=self.max_depth, complete=False, stopped=stopped,
            elapsed=elapsed, properties=props, rejections={}, parameters=m.parameter_values(),
        )

    def replay(self, rnd: int, walk: int, upto: int) -> Trace:
        m = self.m
        s = self.inits[0]
        states, actions = [s], []
        for d in range(upto):
            a = self.acts[int(self.history[rnd][d][walk])]
            s = m.step(s, a)
            states.append(s)
            actions.append(a)
        return Trace.of(m, tuple(states), tuple(actions))

    def violation_trace(self, p, where: tuple[int, int, int]) -> Trace:
        tr = self.replay(*where)
        if p.kind == Kind.TRANSITION:  # the violating step is the last one: make it the extension
            prev = attrs.evolve(tr, states=tr.states[:-1], actions=tr.actions[:-1])
            a = tr.actions[-1]
            tr = prev.extend(a, self.m.try_step(prev.states[-1], a))
        return tr
