"""Seeded random simulation: walks far deeper than exhaustive search reaches.

Each walk starts from an initial state and picks, uniformly at random among the
inputs the machine accepts, the next step, until it reaches ``walk_depth`` or a
state with no accepted input. The same ``seed`` gives the same walks, so every
counterexample is reproducible (and is replayed into a :class:`Trace`).

A state whose inputs are a :class:`~paraspec.model.space.Space` of more than
``SAMPLE_ABOVE`` elements (the ``polkadot`` preset) is not listed: random indices are
drawn, with replacement, until one names an accepted input (which is then uniform among
the accepted ones); after ``MAX_DRAWS`` rejected draws the walk ends there, as at a state
with no accepted input.
"""

from __future__ import annotations

import random
import time

from paraspec.model.core import Machine, Rejected
from paraspec.model.space import Space
from paraspec.properties.core import Kind, Property

from .fingerprint import fingerprint
from .results import ModelError, Result, model_error, property_results
from .trace import Trace

__all__ = ["simulate", "SAMPLE_ABOVE", "MAX_DRAWS"]

#: a state with more inputs than this (in a :class:`Space`) is sampled, not listed
SAMPLE_ABOVE = 4096
#: rejected draws after which a sampled state ends its walk
MAX_DRAWS = 1000


def simulate(machine: Machine, props: list[Property] | tuple[Property, ...], seed: int = 0,
             steps: int = 10_000, walk_depth: int = 100, time_limit: float | None = None,
             progress=None) -> Result:
    return _Walks(machine, props, seed, steps, walk_depth, time_limit, progress).run()


class _Walks:
    """The seeded walks of one simulation and what they met."""

    def __init__(self, m: Machine, props, seed: int, steps: int, walk_depth: int, time_limit: float | None,
                 progress) -> None:
        self.m = m
        self.props = props
        self.seed = seed
        self.rng = random.Random(seed)
        self.steps = steps
        self.walk_depth = walk_depth
        self.time_limit = time_limit
        self.progress = progress
        self.invariants = [p for p in props if p.kind == Kind.ALWAYS]
        self.trans = [p for p in props if p.kind == Kind.TRANSITION]
        self.somes = [p for p in props if p.kind == Kind.SOMETIMES]
        self.hits = {p.name: 0 for p in props}
        self.found: dict[str, Trace] = {}
        self.some_found: dict[str, Trace] = {}
        self.rejections: dict[str, int] = {}
        self.total = 0
        self.max_depth = 0
        self.error: ModelError | None = None
        self.stopped: str | None = None
        self.seen_fps: set[int] = set()

    def trace(self) -> Trace:
        return Trace.of(self.m, tuple(self.states), tuple(self.actions))

    def check_state(self, s, first: bool) -> None:
        m, hits, found = self.m, self.hits, self.found
        for p in self.invariants:
            if p.witness is not None and p.witness(m, s):
                hits[p.name] += 1
            if p.name not in found and not p.predicate(m, s):
                found[p.name] = self.trace()
        if first:
            return
        for p in self.somes:
            if p.name not in self.some_found and p.predicate(m, s):
                self.some_found[p.name] = self.trace()
                hits[p.name] += 1

    def check_transition(self, s, a, t) -> None:
        m = self.m
        for p in self.trans:
            if p.on and not isinstance(a, p.on):
                continue
            if p.witness is not None and p.witness(m, s, a, t):
                self.hits[p.name] += 1
            if p.name not in self.found and not p.predicate(m, s, a, t):
                self.found[p.name] = self.trace().extend(a, t)

    def choose(self, s):
        """The first accepted input in a random order, with its next state (None: none is)."""
        acts = self.m.actions(s)
        if isinstance(acts, Space) and acts.size > SAMPLE_ABOVE:
            draw = self.rng.randrange
            options = (acts.at(draw(acts.size)) for _ in range(MAX_DRAWS))
        else:
            options = list(acts)
            self.rng.shuffle(options)
        for a in options:
            t = _step(self.m, s, a)
            self.check_transition(s, a, t)
            if isinstance(t, Rejected):
                self.rejections[t.rule_id] = self.rejections.get(t.rule_id, 0) + 1
                continue
            return a, t
        return None

    def walk(self, s) -> None:
        self.states = [s]
        self.actions: list = []
        self.check_state(s, first=True)
        for _ in range(self.walk_depth):
            if self.total >= self.steps:
                break
            got = self.choose(s)
            if got is None:
                break  # no accepted input: end of this walk
            a, s = got
            self.states.append(s)
            self.actions.append(a)
            self.total += 1
            self.max_depth = max(self.max_depth, len(self.actions))
            self.seen_fps.add(fingerprint(s))
            self.check_state(s, first=False)

    def run(self) -> Result:
        m = self.m
        inits = list(m.init())
        start = time.perf_counter()
        walks = 0
        while self.total < self.steps and self.error is None:
            if self.time_limit is not None and time.perf_counter() - start > self.time_limit:
                self.stopped = "time_limit"
                break
            walks += 1
            try:
                self.walk(inits[self.rng.randrange(len(inits))])
            except Exception as e:  # a bug in the model
                self.error = model_error(e, self.trace(), self.props)
            if self.progress is not None and walks % 50 == 0:
                self.progress(self.total, self.max_depth, time.perf_counter() - start)
        props = property_results(self.props, self.hits, False, self.found, self.some_found,
                                 lambda p, tr: tr, lambda tr: tr, error=self.error)
        return Result(
            machine=m.name, preset=m.preset, mutant=m.mutant_name, engine=f"simulation(seed={self.seed})",
            states=len(self.seen_fps), transitions=self.total, depth=self.max_depth, complete=False,
            stopped=self.stopped, elapsed=time.perf_counter() - start, properties=props,
            rejections=dict(sorted(self.rejections.items())), error=self.error, parameters=m.parameter_values(),
        )


def _step(m, s, a):
    try:
        return m.step(s, a)
    except Rejected as r:
        return r
