"""The explicit-state engine: breadth-first search with shortest counterexamples.

States are stored only by their stable 64-bit fingerprint, with a parent pointer
(the parent's fingerprint and the index of the action taken in ``actions(parent)``).
A trace is rebuilt by re-executing those actions from the initial state, so memory
per state is a few dozen bytes, as in TLC and Stateright.

The API is an immutable builder::

    result = (Checker(machine)
              .with_properties(props)
              .with_max_depth(20)
              .run())
"""

from __future__ import annotations

import gc
import time
import traceback
from typing import Any, Callable, Iterable

import attrs

from model.core import Machine, Rejected
from properties.core import Kind, Property

from .fingerprint import fingerprint
from .trace import Trace

__all__ = ["Checker", "Result", "PropertyResult", "Verdict", "ModelError"]


class Verdict:
    HOLDS = "holds"
    VIOLATED = "violated"
    VACUOUS = "vacuous"
    WITNESSED = "witnessed"
    UNWITNESSED = "unwitnessed"
    NOT_CHECKED = "not checked"

    PASSING = (HOLDS, WITNESSED, NOT_CHECKED)


@attrs.frozen
class PropertyResult:
    property: Property
    verdict: str
    trace: Trace | None = None
    #: how often the property's witness (or the sometimes predicate) fired
    witnessed: int = 0
    #: wall time when the verdict was reached (seconds from start)
    at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.verdict in Verdict.PASSING


@attrs.frozen
class ModelError:
    """A plain exception escaped the model: a bug, not a protocol rejection."""

    message: str
    trace: Trace | None
    detail: str = ""


@attrs.frozen
class Result:
    machine: str
    preset: str
    mutant: str | None
    engine: str
    states: int
    transitions: int
    depth: int
    complete: bool
    #: why the search stopped early ("max_depth", "max_states", "time_limit"), if it did
    stopped: str | None
    elapsed: float
    properties: tuple[PropertyResult, ...]
    rejections: dict[str, int]
    deadlocks: int = 0
    deadlock_trace: Trace | None = None
    error: ModelError | None = None

    @property
    def ok(self) -> bool:
        if self.error is not None:
            return False
        if self.deadlock_trace is not None:
            return False
        return all(p.ok for p in self.properties)

    def verdict_of(self, name: str) -> str:
        for p in self.properties:
            if p.property.name == name:
                return p.verdict
        raise KeyError(name)


ProgressFn = Callable[[int, int, float], None]


@attrs.frozen
class Checker:
    machine: Machine
    properties: tuple[Property, ...] = ()
    max_depth: int | None = None
    max_states: int | None = None
    time_limit: float | None = None
    #: stop as soon as every safety property has a verdict (all violated)
    progress: ProgressFn | None = attrs.field(default=None, eq=False)
    progress_every: int = 20_000
    #: stop the search once these properties are all violated (``True``: any one)
    stop_on: frozenset[str] | bool = frozenset()

    # -- builder -----------------------------------------------------------------------------
    def with_properties(self, props: Iterable[Property]) -> "Checker":
        return attrs.evolve(self, properties=tuple(props))

    def with_max_depth(self, n: int | None) -> "Checker":
        return attrs.evolve(self, max_depth=n)

    def with_max_states(self, n: int | None) -> "Checker":
        return attrs.evolve(self, max_states=n)

    def with_time_limit(self, seconds: float | None) -> "Checker":
        return attrs.evolve(self, time_limit=seconds)

    def with_progress(self, fn: ProgressFn | None, every: int = 20_000) -> "Checker":
        return attrs.evolve(self, progress=fn, progress_every=every)

    def with_stop_on_violation(self, names: Iterable[str] | bool = True) -> "Checker":
        """Stop at the first violation (``True``), or once all the named properties are violated."""
        return attrs.evolve(self, stop_on=names if isinstance(names, bool) else frozenset(names))

    # -- trace reconstruction ----------------------------------------------------------------
    def rebuild(self, parents: dict[int, tuple[int | None, int]], fp: int, inits: list) -> Trace:
        """Re-execute the recorded action indices from the initial state to ``fp``."""
        path = []
        cur: int | None = fp
        while cur is not None:
            parent, idx = parents[cur]
            path.append(idx)
            cur = parent
        path.reverse()
        m = self.machine
        state = inits[path[0]]
        states = [state]
        actions = []
        for idx in path[1:]:
            acts = list(m.actions(state))
            a = acts[idx]
            state = m.step(state, a)
            actions.append(a)
            states.append(state)
        assert fingerprint(state) == fp, "trace replay diverged: actions() or step() is not deterministic"
        return Trace(machine=m.name, preset=m.config.name, mutant=m.mutant_name,
                     states=tuple(states), actions=tuple(actions))

    # -- the search ------------------------------------------------------------------------------
    def run(self) -> Result:
        m = self.machine
        props = self.properties
        invariants = [p for p in props if p.kind == Kind.ALWAYS]
        trans = [p for p in props if p.kind == Kind.TRANSITION]
        somes = [p for p in props if p.kind == Kind.SOMETIMES]
        state_witnesses = [p for p in invariants if p.witness is not None]
        # transition properties by action class, built lazily
        by_action: dict[type, tuple[list[Property], list[Property]]] = {}

        def trans_for(cls: type):
            got = by_action.get(cls)
            if got is None:
                ps = [p for p in trans if not p.on or issubclass(cls, p.on)]
                got = (ps, [p for p in ps if p.witness is not None])
                by_action[cls] = got
            return got

        verdicts: dict[str, PropertyResult] = {}
        witness_hits: dict[str, int] = {p.name: 0 for p in props}
        # pending violations are (fp of the state, action, next) rebuilt at the end
        violations: dict[str, tuple[int, Any, Any]] = {}
        some_found: dict[str, int] = {}
        rejections: dict[str, int] = {}
        parents: dict[int, tuple[int | None, int]] = {}
        start = time.perf_counter()
        transitions = 0
        deadlocks = 0
        deadlock_fp: int | None = None
        stopped: str | None = None
        error: ModelError | None = None
        depth = 0

        gc_was_enabled = gc.isenabled()
        gc.disable()  # the search allocates many small immutable objects and no cycles
        try:
            inits = list(m.init())
            frontier: list[tuple[int, Any]] = []
            for i, s in enumerate(inits):
                fp = fingerprint(s)
                if fp in parents:
                    continue
                parents[fp] = (None, i)
                frontier.append((fp, s))
                self._check_state(m, s, fp, invariants, state_witnesses, somes, violations, witness_hits,
                                  some_found)

            next_progress = self.progress_every
            while frontier:
                if self.max_depth is not None and depth >= self.max_depth:
                    stopped = "max_depth"
                    break
                nxt: list[tuple[int, Any]] = []
                for fp, s in frontier:
                    if self.time_limit is not None and time.perf_counter() - start > self.time_limit:
                        stopped = "time_limit"
                        break
                    if self.max_states is not None and len(parents) >= self.max_states:
                        stopped = "max_states"
                        break
                    any_ok = False
                    try:
                        for idx, a, t in m.successors(s):
                            transitions += 1
                            if isinstance(t, Rejected):
                                rejections[t.rule_id] = rejections.get(t.rule_id, 0) + 1
                            else:
                                any_ok = True
                            tprops, twits = trans_for(type(a))
                            for p in twits:
                                if p.witness(m, s, a, t):
                                    witness_hits[p.name] += 1
                            for p in tprops:
                                if p.name not in violations and not p.predicate(m, s, a, t):
                                    violations[p.name] = (fp, a, t)
                            if isinstance(t, Rejected):
                                continue
                            tfp = fingerprint(t)
                            if tfp in parents:
                                continue
                            parents[tfp] = (fp, idx)
                            nxt.append((tfp, t))
                            self._check_state(m, t, tfp, invariants, state_witnesses, somes, violations,
                                              witness_hits, some_found)
                    except Exception as e:  # a bug in the model or a property
                        error = ModelError(f"{type(e).__name__}: {e}",
                                           self.rebuild(parents, fp, inits),
                                           traceback.format_exc(limit=6))
                        break
                    if self.stop_on and violations and (
                            self.stop_on is True or (not isinstance(self.stop_on, bool)
                                                     and self.stop_on <= violations.keys())):
                        stopped = "violation"
                        break
                    if not any_ok:
                        deadlocks += 1
                        if deadlock_fp is None:
                            deadlock_fp = fp
                    if self.progress is not None and len(parents) >= next_progress:
                        next_progress = len(parents) + self.progress_every
                        self.progress(len(parents), depth, time.perf_counter() - start)
                if error is not None or stopped is not None:
                    break
                frontier = nxt
                if frontier:
                    depth += 1
            elapsed = time.perf_counter() - start
            if self.progress is not None:
                self.progress(len(parents), depth, elapsed)

            complete = stopped is None and error is None
            for p in props:
                if p.name in violations:
                    vfp, a, t = violations[p.name]
                    tr = self.rebuild(parents, vfp, inits)
                    if p.kind == Kind.TRANSITION:
                        tr = tr.extend(a, t)
                    verdicts[p.name] = PropertyResult(p, Verdict.VIOLATED, tr, witness_hits[p.name])
                elif p.kind in (Kind.ALWAYS, Kind.TRANSITION):
                    if p.witness is not None and witness_hits[p.name] == 0 and complete:
                        verdicts[p.name] = PropertyResult(p, Verdict.VACUOUS, None, 0)
                    else:
                        verdicts[p.name] = PropertyResult(p, Verdict.HOLDS, None, witness_hits[p.name])
                elif p.kind == Kind.SOMETIMES:
                    if p.name in some_found:
                        verdicts[p.name] = PropertyResult(p, Verdict.WITNESSED,
                                                          self.rebuild(parents, some_found[p.name], inits),
                                                          witness_hits[p.name])
                    else:
                        verdicts[p.name] = PropertyResult(p, Verdict.UNWITNESSED, None, 0)
                else:
                    verdicts[p.name] = PropertyResult(p, Verdict.NOT_CHECKED)
            dl_trace = None
            if deadlock_fp is not None and m.deadlock_is_error:
                dl_trace = self.rebuild(parents, deadlock_fp, inits)
        finally:
            if gc_was_enabled:
                gc.enable()

        return Result(
            machine=m.name,
            preset=m.config.name,
            mutant=m.mutant_name,
            engine="bfs",
            states=len(parents),
            transitions=transitions,
            depth=depth,
            complete=complete,
            stopped=stopped,
            elapsed=elapsed,
            properties=tuple(verdicts[p.name] for p in props),
            rejections=dict(sorted(rejections.items())),
            deadlocks=deadlocks,
            deadlock_trace=dl_trace,
            error=error,
        )

    @staticmethod
    def _check_state(m, s, fp, invariants, state_witnesses, somes, violations, witness_hits, some_found):
        for p in invariants:
            if p.name not in violations and not p.predicate(m, s):
                violations[p.name] = (fp, None, None)
        for p in state_witnesses:
            if p.witness(m, s):
                witness_hits[p.name] += 1
        for p in somes:
            if p.name not in some_found and p.predicate(m, s):
                some_found[p.name] = fp
                witness_hits[p.name] += 1
