"""Deterministic generation of a conformance suite.

For each preset and machine:

1. **A pool** of reachable states, in two parts:

   * an *exhaustive* breadth-first exploration of the machine under its declared
     sampling bounds (:func:`model.handlers.sampling`, e.g. one candidate per para),
     up to ``max_states`` states;
   * when that exploration is bounded (by a sampling override or by the budget), a
     *sampled* breadth-first exploration of the preset itself, expanding at most
     ``per_shape`` states of each (shape, depth) - so the deep shapes (a para's next
     candidate in flight while the previous one is pending) are reached without the
     whole space.

   Every pool state is reachable; a state of the bounded exploration is used with the
   preset's configuration when the path to it replays on the preset's machine (else
   the case records the bounds in ``config_overrides``).
2. **Coverage cases**: for every (shape, action kind) met in the pool, the first
   accepted input of that kind in a state of that shape (or the first rejected one
   when none is accepted). A *shape* is the coverage class of a state
   (:func:`model.handlers.shape_of`).
3. **Rule scenarios**: for every rule ID the machine's properties name (and every one
   its steps exercise), a *positive* case (the rule's guard or predicate holds, or a
   property about the rule fires) and a *negative* one (the rule rejects the input,
   or its predicate is false). Negatives no pool transition gives are searched by
   applying every input seen in the pool to the pool's states; a rule that no input
   breaks (an invariant such as AV-8) takes as its negative the case of a mutant that
   breaks it. A rule a machine's properties name with no case of a polarity on the
   preset, from any machine, is reported as a gap.
4. **Mutant cases**: for every mutant, the first step of its shortest counterexample
   (for the properties it must violate) where the mutant's answer differs from the
   model's; failing that, the first pool transition where they differ.
5. **Mutation adequacy**: every mutant answers every case of its machine, exactly as
   ``paraspec adapter --mutant NAME`` would; a mutant is killed when it fails at
   least one case.

Everything is deterministic: the same options give byte-identical files.
"""

from __future__ import annotations

import gc
import re
from itertools import islice
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import attrs

from paraspec.model.core import Machine, Rejected
from paraspec.model.handlers import SAMPLING, Handler, handlers_for, shape_of
from paraspec.properties.core import MUTANTS, Kind, Mutant

from ..explicit import Checker
from ..explore import Exploration, Visitor, explore
from ..results import Verdict
from ..fingerprint import fingerprint
from ..outputs import replace_dir, sweep, temp_path
from ..registry import UsageError, build, get_machine_class, load_all, machine_names, properties_of
from ..spec import load_rules
from ..codec import encode
from .cases import FORMAT, config_json, dump, encode_input, encode_state, execute, first_difference
from .effects import answer_fields, case_effect, changed_fields
from .serve import Reference
from .suite import Case, expected_of, request_of
from .tracing import RuleTracer

__all__ = ["Options", "generate", "Pool", "explore_exhaustive", "explore_sampled", "GenerationResult",
           "rule_key"]


@attrs.frozen
class Options:
    presets: tuple[str, ...] = ()
    machines: tuple[str, ...] = ()
    #: states of each (shape, depth) expanded in the sampled exploration
    per_shape: int = 3
    #: states explored by each of the two explorations, per machine and preset
    max_states: int = 12000
    #: states the counterexample search of a mutant may explore
    mutant_states: int = 30000
    #: pool states tried in the search for missing negatives
    cross_states: int = 400
    #: pool transitions traced for rule scenarios
    trace_limit: int = 20000
    #: inputs tried per state, in the machine's own order (the first ones): a machine at a large
    #: preset (``polkadot``: 1000 validators, 100 cores) has more bitfields per state than any
    #: exploration can try; recorded in ``index.json`` with ``bounded_by`` the states it cut
    max_actions: int = 128
    #: transitions each exploration tries once some state had its inputs cut by ``max_actions``
    #: (such a preset is sampled anyway, and its steps are slow: 1-2 ms each at ``polkadot``)
    max_transitions_cut: int = 10000
    #: the reading of the whole host (``None``: each preset's own, ``seed``); recorded in every
    #: case's configuration (CFG-D5)
    reading: str | None = None
    #: work per exploration and per later pass over the pool (tracing, searches, mutants' scans), in
    #: transitions x validators x cores (the machine's ``n_validators`` and ``n_parachains``/``n_cores``,
    #: 1 when it has none): never binding at tiny/trio/small (8-10 units a step), about 10,000 steps at
    #: polkadot (100,000 units), whose steps take milliseconds
    max_work: int = 1_000_000_000


REACHES = "the step reaches the situation of property"
#: the kinds of case, in the order reports list them
KINDS = ("rule", "coverage", "effect", "mutant")


def rule_key(rid: str) -> tuple[str, int]:
    m = re.match(r"^([A-Z]+)-(\d+)$", rid)
    return (m.group(1), int(m.group(2))) if m else (rid, 0)


# -- the pool ----------------------------------------------------------------------------------------


@attrs.define
class Pool:
    states: list[Any] = attrs.Factory(list)
    shapes: list[str] = attrs.Factory(list)
    #: per state: (index of its parent, action from it), or None for an initial state
    parents: list[tuple[int, Any] | None] = attrs.Factory(list)
    #: per state: which exploration found it (index into ``machines``)
    source: list[int] = attrs.Factory(list)
    #: (index of the state, action, the Rejected or None when accepted), in exploration order
    transitions: list[tuple[int, Any, Any]] = attrs.Factory(list)
    #: the machine of each exploration (the bounded one first)
    machines: list[Machine] = attrs.Factory(list)
    complete: list[bool] = attrs.Factory(list)
    #: expanded states with more inputs than the explorations tried (``Options.max_actions``)
    cut: int = 0

    def path(self, i: int) -> list[Any]:
        out = []
        while self.parents[i] is not None:
            i, a = self.parents[i]
            out.append(a)
        out.reverse()
        return out

    def root(self, i: int) -> int:
        while self.parents[i] is not None:
            i = self.parents[i][0]
        return i


def _no_gc(fn):
    def wrapper(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()  # many small immutable objects and no cycles, as in the explicit engine
        try:
            return fn(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


class _PoolVisitor(Visitor):
    """Records an exploration into a pool: every transition of an expanded state, and
    each stored state with its shape and parent (pool indices are exploration indices
    from ``base`` on)."""

    def __init__(self, m: Machine, pool: Pool, max_actions: int, max_transitions_cut: int):
        super().__init__(m)
        self.pool = pool
        self.src = len(pool.machines)
        pool.machines.append(m)
        self.base = len(pool.states)
        self.truncated = False
        self.max_actions = max_actions
        self.max_transitions_cut = max_transitions_cut
        self.tried = 0
        self.cut = False
        self.max_steps = max_transitions_cut  # set by the explore_* functions from max_work

    def stop_state(self, ex: Exploration) -> str | None:
        if self.cut and self.tried >= self.max_transitions_cut:
            self.truncated = True
            return "max_transitions_cut"
        if self.tried >= self.max_steps:
            self.truncated = True
            return "max_work"
        return None

    def expand(self, i: int, s):
        """The successors of the first ``max_actions`` inputs (the machine's actions are lazy,
        so a state with more inputs than can be tried costs only the ones tried)."""
        succs = self.machine.successors(s)
        n = 0
        for k, a, t in islice(succs, self.max_actions):
            n += 1
            if isinstance(t, Rejected):
                yield k, a, t, 0, None, None
            else:
                rep, fp = self.key(t)
                yield k, a, None, fp, rep, None
        if n == self.max_actions and next(succs, None) is not None:
            self.pool.cut += 1
            self.truncated = self.cut = True

    def store(self, i: int, parent: int, succ: tuple, shape: str) -> None:
        pool = self.pool
        pool.states.append(succ[4])
        pool.shapes.append(shape)
        pool.parents.append(None if parent == -1 else (self.base + parent, succ[1]))
        pool.source.append(self.src)

    def on_transition(self, i: int, succ: tuple) -> None:
        r = succ[2]
        if r is not None:
            r.__traceback__ = None  # keep no frames alive (the pool holds many of these)
        self.pool.transitions.append((self.base + i, succ[1], r))
        self.tried += 1


class _Exhaustive(_PoolVisitor):
    """Every reachable state, up to ``max_states`` stored states."""

    def __init__(self, m: Machine, pool: Pool, max_states: int, max_actions: int, max_transitions_cut: int):
        super().__init__(m, pool, max_actions, max_transitions_cut)
        self.max_states = max_states

    def on_state(self, i: int, parent: int, succ: tuple) -> None:
        self.store(i, parent, succ, shape_of(self.machine, succ[4]))

    def on_transition(self, i: int, succ: tuple) -> None:
        super().on_transition(i, succ)
        if succ[2] is None and len(self.pool.states) - self.base >= self.max_states:
            self.truncated = True

    def admit(self, parent: int, succ: tuple) -> bool:
        return len(self.pool.states) - self.base < self.max_states


class _Sampled(_PoolVisitor):
    """At most ``per_shape`` states of each (shape, depth) and ``max_states`` expanded in
    all; a state enters the pool when it is expanded."""

    def __init__(self, m: Machine, pool: Pool, per_shape: int, max_states: int, max_actions: int,
                 max_transitions_cut: int):
        super().__init__(m, pool, max_actions, max_transitions_cut)
        self.per_shape = per_shape
        self.max_states = max_states
        self.scheduled: Counter[tuple[str, int]] = Counter()
        #: exploration index -> (shape, depth) of the states scheduled and not yet expanded
        self.keys: dict[int, tuple[str, int]] = {}
        self.parents: dict[int, tuple[int, tuple]] = {}
        self.depth = 0
        self.expanded = 0

    def admit(self, parent: int, succ: tuple) -> bool:
        key = (shape_of(self.machine, succ[4]), self.keys[parent][1] + 1)
        self._key = key
        return self.scheduled[key] < self.per_shape

    def on_state(self, i: int, parent: int, succ: tuple) -> None:
        key = (shape_of(self.machine, succ[4]), 0) if parent == -1 else self._key
        self.scheduled[key] += 1
        self.keys[i] = key
        self.parents[i] = (parent, succ)

    def stop_state(self, ex: Exploration) -> str | None:
        if self.expanded >= self.max_states:
            self.truncated = True
            return "max_states"
        return super().stop_state(ex)

    def expand(self, i: int, s):
        self.expanded += 1
        parent, succ = self.parents.pop(i)
        self.store(i, parent, succ, self.keys[i][0])
        return super().expand(i, s)


@_no_gc
def explore_exhaustive(m: Machine, max_states: int, pool: Pool | None = None, max_actions: int = 128,
                       max_transitions_cut: int = 10000, max_steps: int = 10**12) -> Pool:
    """Breadth-first over every reachable state, up to ``max_states`` states (and the first
    ``max_actions`` inputs of each)."""
    pool = pool if pool is not None else Pool()
    v = _Exhaustive(m, pool, max_states, max_actions, max_transitions_cut)
    v.max_steps = max_steps
    explore(v)
    pool.complete.append(not v.truncated)
    return pool


@_no_gc
def explore_sampled(m: Machine, per_shape: int, max_states: int, pool: Pool | None = None,
                    max_actions: int = 128, max_transitions_cut: int = 10000, max_steps: int = 10**12) -> Pool:
    """Breadth-first, expanding at most ``per_shape`` states of each (shape, depth)
    (so deeper states of a shape are still reached) and ``max_states`` in all."""
    pool = pool if pool is not None else Pool()
    v = _Sampled(m, pool, per_shape, max_states, max_actions, max_transitions_cut)
    v.max_steps = max_steps
    explore(v)
    pool.complete.append(not v.truncated)
    return pool


# -- cases -----------------------------------------------------------------------------------------


def _outcome_text(a: Any, t: Any) -> str:
    """The input and its outcome in words: an input that can describe itself (a relay block,
    ``describe()``) does, any other is its repr."""
    said = a.describe() if callable(getattr(a, "describe", None)) else repr(a)
    if isinstance(t, Rejected):
        return f"{said} is rejected by {t.rule_id}: {t.reason}"
    return f"{said} is accepted"


@attrs.define
class _Draft:
    """A case before it is written: its reference answer and metadata."""

    handler: Handler
    name: str
    kind: str
    description: str
    rules: set[str]
    pre: Any
    action: Any
    answer: dict
    extra: dict = attrs.Factory(dict)
    overrides: dict = attrs.Factory(dict)


@attrs.define
class GenerationResult:
    root: Path
    cases: int
    #: "preset/machine/handler" -> Counter of kinds
    handlers: dict[str, Counter]
    #: mutant name -> (1 if killed else 0, cases run until the first failure, the failing case id)
    mutation: dict[str, tuple[int, int, str | None]]
    gaps: list[str]
    elapsed: float
    index: dict
    #: "preset/machine/handler" -> {"fields": [...], "changed_by_cases": [...]} (effect adequacy)
    effects: dict = attrs.Factory(dict)

    @property
    def killed(self) -> int:
        return sum(1 for f, _, _ in self.mutation.values() if f > 0)


class _MachineGen:
    """Generation for one machine on one preset."""

    def __init__(self, preset: str, name: str, opts: Options, rules_catalogue: dict, log: Callable[[str], None]):
        self.preset = preset
        self.name = name
        self.opts = opts
        self.rules_catalogue = rules_catalogue
        self.log = log
        self.m = self._build()
        self.sampling = dict(SAMPLING.get(name, {}))
        self.props = properties_of(name)
        self.drafts: list[_Draft] = []
        self._config_of: dict[int, dict] = {}
        values = self.m.parameter_values()
        cores = values.get("n_parachains", values.get("n_cores", 1))
        scale = max(1, values.get("n_validators", 1) if isinstance(values.get("n_validators"), int) else 1) * \
            max(1, cores if isinstance(cores, int) else 1)
        #: steps each exploration and each later pass over the pool may take (``Options.max_work``)
        self.steps = max(1, opts.max_work // scale)

    def _build(self, mutant: str | None = None, overrides: dict | None = None) -> Machine:
        """The machine (or ``mutant``) on this preset under the suite's reading, with ``overrides``."""
        extra = {"reading": self.opts.reading} if self.opts.reading else {}
        return build(self.name, self.preset, mutant, overrides={**extra, **(overrides or {})} or None)

    def handler_of(self, a: Any) -> Handler:
        return self.by_class[type(a)]

    def run(self) -> None:
        m = self.m
        bounded = self._build(overrides=self.sampling) if self.sampling else m
        cap, cut, steps = self.opts.max_actions, self.opts.max_transitions_cut, self.steps
        pool = explore_exhaustive(bounded, self.opts.max_states, max_actions=cap, max_transitions_cut=cut,
                                  max_steps=steps)
        if self.sampling or not pool.complete[0]:
            explore_sampled(m, self.opts.per_shape, self.opts.max_states, pool, max_actions=cap,
                            max_transitions_cut=cut, max_steps=steps)
        self.pool = pool
        classes = list(dict.fromkeys(type(a) for _, a, _ in pool.transitions))
        self.handlers = handlers_for(self.name, classes)
        self.by_class = {c: h for h in self.handlers for c in h.actions}
        machine_rules = {r for p in self.props for r in p.rules}
        known = {r for r, rule in self.rules_catalogue.items() if not rule.is_decision}
        self.tracer = RuleTracer(m, self.props, known)
        self.named = machine_rules & known
        self._coverage()
        self._rules(self.named)
        sizes = " + ".join(f"{pool.source.count(k):,}" for k in range(len(pool.machines)))
        self.log(f"  {self.preset}/{self.name}: pool of {sizes} states in {len(set(pool.shapes))} shapes, "
                 f"{len(pool.transitions):,} transitions")

    # -- the configuration and machine of a pool state ------------------------------------------------
    def config_of(self, i: int) -> dict:
        """Overrides under which pool state ``i`` is reachable: none when it was found on
        the preset's machine, or when its path replays there; else the sampling bounds."""
        got = self._config_of.get(i)
        if got is not None:
            return got
        pool = self.pool
        out: dict = {}
        if pool.machines[pool.source[i]] is not self.m and not self._replays(i):
            out = dict(self.sampling)
        self._config_of[i] = out
        return out

    def _replays(self, i: int) -> bool:
        m, pool = self.m, self.pool
        inits = list(m.init())
        s = pool.states[pool.root(i)]
        if s not in inits:
            return False
        for a in pool.path(i):
            if a not in set(islice(m.actions(s), self.opts.max_actions)):
                return False
            try:
                s = m.step(s, a)
            except Rejected:
                return False
        return s == pool.states[i]

    def machine_of(self, i: int) -> Machine:
        return self.m if not self.config_of(i) else self.pool.machines[self.pool.source[i]]

    def _answer(self, i: int, a: Any) -> dict:
        return execute(self.handler_of(a), self.machine_of(i), self.pool.states[i], a)

    def _traced(self, s: Any, a: Any) -> tuple[Any, dict[str, set[bool]]]:
        h = self.handler_of(a)
        return self.tracer.step(lambda st, ac: _answered(h, self.m, st, ac), s, a)

    def _draft(self, i: int, a: Any, name: str, kind: str, description: str, rules: set[str],
               extra: dict) -> _Draft:
        return _Draft(self.handler_of(a), name, kind, description, set(rules), self.pool.states[i], a,
                      self._answer(i, a), extra, self.config_of(i))

    # -- coverage ----------------------------------------------------------------------------------
    def _coverage(self) -> None:
        pool = self.pool
        first_ok: dict[tuple[str, str], int] = {}
        first_err: dict[tuple[str, str], int] = {}
        for k, (i, a, t) in enumerate(pool.transitions):
            key = (pool.shapes[i], type(a).__name__)
            (first_err if isinstance(t, Rejected) else first_ok).setdefault(key, k)
        chosen = sorted(set(first_ok.values()) | {v for key, v in first_err.items() if key not in first_ok})
        numbers: Counter[str] = Counter()
        for k in chosen:
            i, a, t = pool.transitions[k]
            h = self.handler_of(a)
            t2, rules = self._traced(pool.states[i], a)
            if not rules:  # a step that tests no rule still runs through one
                rules = {r: {True} for r in self.tracer.last_entered}
            n = numbers[h.name]
            numbers[h.name] += 1
            if callable(getattr(a, "describe", None)):  # a self-describing input: words, not the shape's tuple
                checks = ", ".join(sorted(rules, key=rule_key))
                text = f"coverage of a new state shape (in `shape`), exercising {checks}: {_outcome_text(a, t2)}"
            else:
                text = f"{type(a).__name__} in a state of shape [{pool.shapes[i]}]: {_outcome_text(a, t2)}"
            self.drafts.append(self._draft(i, a, f"cover_{n:03d}", "coverage", text, set(rules),
                                           {"shape": pool.shapes[i]}))

    # -- rule scenarios ------------------------------------------------------------------------------
    def _rules(self, targets: set[str]) -> None:
        want = {(r, p) for r in targets for p in (True, False)}
        self.rule_found = found = {}
        self._traced_pool(want)
        self._reaching_positives(targets)
        self._property_positives({r for r, p in want if p and (r, p) not in found})
        self._routine_positives({r for r, p in want if p and (r, p) not in found})
        self._searched_negatives({r for r, p in want if not p and (r, p) not in found})
        self.rule_targets = sorted(targets | {r for r, _ in found}, key=rule_key)
        self._rule_drafts()

    def _found(self, i, a, t, rules) -> None:
        """Note the traced step as a candidate of every (rule, polarity) it exercises (three at most)."""
        why = self.tracer.last_why
        for rid, pols in rules.items():
            for pol in pols:
                lst = self.rule_found.setdefault((rid, pol), [])
                if len(lst) < 3:
                    lst.append((i, a, t, set(rules), why.get((rid, pol), "")))

    def _traced_pool(self, want) -> None:
        """Phase 1: the pool's transitions, traced, in exploration order (three candidates per pair)."""
        pool, found = self.pool, self.rule_found
        for i, a, _ in pool.transitions[: min(self.opts.trace_limit, self.steps)]:
            if all(len(found.get(k, ())) >= 3 for k in want):
                break
            t, rules = self._traced(pool.states[i], a)
            self._found(i, a, t, rules)

    def _reaching_positives(self, targets: set[str]) -> None:
        """Phase 1b: a reachability property names the situation its rules are about: the step
        into the first pool state where one starts to hold is the preferred positive."""
        pool = self.pool
        best: dict[str, tuple[int, Any]] = {}
        for prop in self.props:
            if prop.kind != Kind.SOMETIMES or not set(prop.rules) & targets:
                continue
            for k, s in enumerate(pool.states):
                parent = pool.parents[k]
                if parent is None or not prop.predicate(self.m, s) or prop.predicate(self.m, pool.states[parent[0]]):
                    continue
                for rid in set(prop.rules) & targets:
                    if rid not in best or k < best[rid][0]:
                        best[rid] = (k, prop)
                break
        for rid in sorted(best, key=rule_key):
            k, prop = best[rid]
            j, a = pool.parents[k]
            t, rules = self._traced(pool.states[j], a)
            self.rule_found.setdefault((rid, True), []).insert(0, (j, a, t, set(rules), f"{REACHES} {prop.name}"))

    def _property_positives(self, missing: set[str]) -> None:
        """Phase 2: missing positives: the first pool transition a property naming the rule is about."""
        if not missing:
            return
        pool = self.pool
        probe = RuleTracer(self.m, [p for p in self.props if set(p.rules) & missing])
        for i, a, t in pool.transitions:
            if not missing:
                break
            if isinstance(t, Rejected):
                continue
            t = pool.machines[pool.source[i]].step(pool.states[i], a)
            hits: set[str] = set()
            probe._properties(pool.states[i], a, t, lambda rid, pol, why="": hits.add(rid))
            if hits & missing:
                t2, rules = self._traced(pool.states[i], a)
                self._found(i, a, t2, rules)
                missing -= {r for r in rules if True in rules[r]}

    def _routine_positives(self, missing: set[str]) -> None:
        """Phase 2b: still missing positives: the first accepted pool transition that runs through a
        routine documented with the rule (``process_tick``: "RSC-3: ...")."""
        if not missing:
            return
        pool = self.pool
        for i, a, t in pool.transitions[: min(self.opts.cross_states * 10, self.steps)]:
            if not missing:
                break
            if isinstance(t, Rejected):
                continue
            t2, rules = self._traced(pool.states[i], a)
            hit = missing & self.tracer.last_entered
            for rid in sorted(hit, key=rule_key):
                self.rule_found.setdefault((rid, True), []).append(
                    (i, a, t2, set(rules) | {rid}, "the step runs the routine that applies it"))
            missing -= hit

    def _searched_negatives(self, missing: set[str]) -> None:
        """Phase 3: missing negatives, by applying every input seen in the pool to its states."""
        if not missing:
            return
        pool = self.pool
        inputs = list(dict.fromkeys(a for _, a, _ in pool.transitions))
        budget = self.steps
        for i in range(min(len(pool.states), self.opts.cross_states)):
            if not missing or budget <= 0:
                break
            s = pool.states[i]
            for a in inputs:
                budget -= 1
                try:
                    self.handler_of(a).run(self.m, s, a)
                except Rejected as r:
                    if r.rule_id in missing:
                        t, rules = self._traced(s, a)
                        self.rule_found[(r.rule_id, False)] = [(i, a, t, set(rules), "it rejects the input")]
                        missing.discard(r.rule_id)
                except Exception:
                    continue

    def _rule_drafts(self) -> None:
        """A case per (rule, polarity) found: the preferred candidate, else one not used yet."""
        used: set[tuple[int, int]] = set()
        for rid in self.rule_targets:
            for pol in (True, False):
                cands = self.rule_found.get((rid, pol))
                if not cands:
                    continue
                preferred = cands[0][4].startswith(REACHES)
                pick = cands[0] if preferred else next(
                    (c for c in cands if (c[0], fingerprint(c[1])) not in used), cands[0])
                used.add((pick[0], fingerprint(pick[1])))
                i, a, t, rules, why = pick
                word = "positive" if pol else "negative"
                title = self.rules_catalogue[rid].title if rid in self.rules_catalogue else ""
                because = f" ({why})" if why else ""
                self.drafts.append(self._draft(i, a, f"rule_{rid}_{word}", "rule",
                                               f"{rid} ({title}), {word}{because}: {_outcome_text(a, t)}",
                                               rules | {rid}, {"rule": rid, "polarity": word}))

    # -- effect adequacy (``effects.py``) ---------------------------------------------------------------
    def _pool_effects(self) -> dict[str, dict[str, tuple[int, Any]]]:
        """Per handler: every field that an accepted pool transition changes or reports, with the
        first such transition (pool state, input): the first ``trace_limit`` transitions, re-run
        (so a query, which leads back to its own state, shows its answer), then the first-discovery
        edge of every pool state."""
        pool, enc = self.pool, {}

        def js(k: int) -> Any:
            if k not in enc:
                enc[k] = encode_state(self.m, pool.states[k])
            return enc[k]

        can: dict[str, dict[str, tuple[int, Any]]] = {}

        def note(h: Handler, j: int, a: Any, fields: set[str]) -> None:
            mine = can.setdefault(h.qualified, {})
            for f in fields:
                mine.setdefault(f, (j, a))

        for j, a, r in pool.transitions[: min(self.opts.trace_limit, self.steps)]:
            h = self.by_class.get(type(a))
            if r is None and h is not None:
                m = pool.machines[pool.source[j]]
                try:
                    t = h.run(m, pool.states[j], a)
                    note(h, j, a, changed_fields(js(j), encode_state(self.m, t))
                         | answer_fields(encode(m.answer(pool.states[j], a, t))))
                except Exception:
                    continue
        for k, par in enumerate(pool.parents):
            h = self.by_class.get(type(par[1])) if par is not None else None
            if h is not None:
                note(h, par[0], par[1], changed_fields(js(par[0]), js(k)))
        return can

    def effects(self) -> None:
        """Add an ``effect_NNN`` case for every field a handler changes in the pool and no case
        of it changes yet; record the per-handler figures in ``self.effect``."""
        can = self._pool_effects()
        have: dict[str, set[str]] = {h.qualified: set() for h in self.handlers}
        for d in self.drafts:  # a mutant's case is not counted: an effect forgotten without a mutant must fail too
            if d.kind != "mutant" and "mutant" not in d.extra:
                have.setdefault(d.handler.qualified, set()).update(case_effect(encode_state(self.m, d.pre), d.answer))
        n = 0
        for q in sorted(can):
            for f in sorted(can[q]):
                if f in have[q]:
                    continue
                j, a = can[q][f]
                t, rules = self._traced(self.pool.states[j], a)
                if not rules:
                    rules = {r: {True} for r in self.tracer.last_entered}
                d = self._draft(j, a, f"effect_{n:03d}", "effect",
                                f"{type(a).__name__} changes {f}, which no other case of the handler changes: "
                                f"{_outcome_text(a, t)}", set(rules), {"field": f})
                n += 1
                self.drafts.append(d)
                have[q] |= case_effect(encode_state(self.m, d.pre), d.answer)
        self.effect = {q: {"fields": sorted(can.get(q, {})), "changed_by_cases": sorted(have[q] & set(can.get(q, {})))}
                       for q in sorted(have)}
        self._effectful_rules()

    def _effectful_rules(self) -> None:
        """Every rule with a positive case is also exercised by an accepted case with a non-trivial
        effect where one of its positive candidates has one (``effect_<RULE>``); records the figure."""
        def effect(d: _Draft) -> set[str]:
            return case_effect(encode_state(self.m, d.pre), d.answer)

        effectful: set[str] = set()
        for d in self.drafts:
            if d.kind != "mutant" and "mutant" not in d.extra and effect(d):
                effectful |= d.rules
        accepting = [r for r in self.rule_targets if (r, True) in self.rule_found]
        for rid in accepting:
            if rid in effectful:
                continue
            for i, a, t, rules, _ in self.rule_found[(rid, True)]:
                if isinstance(t, Rejected):
                    continue
                d = self._draft(i, a, f"effect_{rid}", "effect", f"{rid} accepts with a non-trivial effect: "
                                f"{_outcome_text(a, t)}", set(rules) | {rid}, {"rule": rid})
                got = effect(d)
                if got:
                    d.extra["field"] = sorted(got)[0]
                    self.drafts.append(d)
                    effectful |= d.rules
                    break
        self.rule_effect = {"rules_accepting": len(accepting),
                            "with_effect": sum(1 for r in accepting if r in effectful),
                            "without_effect": [r for r in accepting if r not in effectful]}

    # -- mutants ----------------------------------------------------------------------------------------
    def mutant_case(self, mut: Mutant) -> _Draft | None:
        home = mut.preset or get_machine_class(self.name).default_preset
        overrides = dict(mut.overrides)
        try:
            ref = self._build(overrides=overrides) if overrides else self.m
            mm = self._build(mut.name)
        except UsageError:  # the mutant's own overrides contradict the reading: no such mutant here
            return None
        hit = None
        source = ""
        if (home == self.preset or overrides) and not self.pool.cut:  # a full search, where it can end
            props = [p for p in self.props if p.name in mut.kills]
            r = (Checker(mm).with_properties(props).with_stop_on_violation(mut.kills)
                 .with_max_states(self.opts.mutant_states).run())
            traces = sorted(((len(p.trace), p.property.name, p.trace) for p in r.properties
                             if p.verdict == Verdict.VIOLATED and p.trace is not None), key=lambda x: x[:2])
            for _, pname, tr in traces:
                for s, a in zip(tr.states, tr.actions):
                    if self._differs(ref, mm, s, a):
                        hit = (s, a)
                        source = f"first differing step of the shortest counterexample to {pname}"
                        break
                if hit:
                    break
        if hit is None and not overrides:
            for i, a, t in self.pool.transitions[: self.steps]:
                s = self.pool.states[i]
                if _raw(self.by_class[type(a)], mm, s, a) != _raw(self.by_class[type(a)], self.m, s, a):
                    hit = (s, a)
                    source = "first pool transition where the mutant's answer differs"
                    overrides = self.config_of(i)
                    if overrides:
                        ref = self._build(overrides=overrides)
                        mm = self._build(mut.name, overrides)
                    break
        if hit is None:
            return None
        s, a = hit
        h = self.handler_of(a)
        t, rules = RuleTracer(ref, self.props, self.tracer.known).step(lambda st, ac: _answered(h, ref, st, ac), s, a)
        killed_rules = {r for p in self.props if p.name in mut.kills for r in p.rules}
        mans = _safe_answer(h, mm, s, a)
        rans = execute(h, ref, s, a)
        if overrides:  # every parameter the reference differs in (a reading sets its per-rule switches too)
            base = self.m.parameter_values()
            overrides = {k: v for k, v in ref.parameter_values().items() if k != "preset" and base.get(k) != v}
        return _Draft(h, f"mutant_{mut.name}", "mutant",
                      f"tells mutant {mut.name} apart ({mut.doc}) - {source}: {_outcome_text(a, t)}; "
                      f"{_contrast(rans, mans)}",
                      set(rules) | (killed_rules & self.tracer.known), s, a, rans,
                      {"mutant": mut.name, "kills": list(mut.kills)}, overrides)

    def _differs(self, ref: Machine, mm: Machine, s: Any, a: Any) -> bool:
        h = self.by_class.get(type(a))
        if h is None:
            return False
        return _raw(h, ref, s, a) != _raw(h, mm, s, a)


def _answered(h: Handler, m: Machine, s: Any, a: Any) -> Any:
    """Run the handler and compute the answer (traced with it: a rule predicate the
    answer evaluates is exercised by the step); return the next state."""
    t = h.run(m, s, a)
    m.answer(s, a, t)
    return t


def _raw(h: Handler, m: Machine, s: Any, a: Any) -> tuple:
    """The answer as model values (cheaper to compare than the JSON)."""
    try:
        t = h.run(m, s, a)
        return ("ok", t, m.answer(s, a, t))
    except Rejected as r:
        return ("err", r.rule_id)
    except Exception as e:
        return ("error", f"{type(e).__name__}: {e}")


def _contrast(ref: dict, mut: dict) -> str:
    """How the mutant's answer differs from the model's, in words."""
    if "error" in mut:
        return f"the mutant raises {mut['error']}"
    r_err, m_err = ref["output"].get("err"), mut["output"].get("err")
    if r_err and not m_err:
        return "the mutant accepts it"
    if m_err and not r_err:
        return f"the mutant rejects it by {m_err}"
    if r_err and m_err:
        return f"the mutant rejects it by {m_err} instead"
    where = first_difference(ref, mut)
    what = "output" if where and where.startswith("output") else "post-state"
    return f"the mutant's {what} differs at {where}"


def _safe_answer(h: Handler, m: Machine, s: Any, a: Any) -> dict:
    try:
        return execute(h, m, s, a)
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}


# -- the whole suite --------------------------------------------------------------------------------------


def _case_json(preset: str, m: Machine, d: _Draft) -> dict:
    obj: dict[str, Any] = {
        "format": FORMAT,
        "id": f"{preset}/{d.handler.qualified}/{d.name}",
        "machine": m.name,
        "handler": d.handler.qualified,
        "preset": preset,
        "kind": d.kind,
    }
    obj.update(d.extra)
    if d.overrides:
        obj["config_overrides"] = {k: d.overrides[k] for k in sorted(d.overrides)}
    obj["description"] = d.description
    obj["rules"] = sorted(d.rules, key=rule_key)
    obj["pre_state"] = encode_state(m, d.pre)
    obj["input"] = encode_input(d.action)
    obj["output"] = d.answer["output"]
    obj["post_state"] = d.answer["post_state"]
    return obj


def default_presets(machines: list[str]) -> list[str]:
    """Each machine's default preset, and every preset a mutant of the selected machines is checked on."""
    out: list[str] = []
    for name in machines:
        for p in machine_presets(name):
            if p not in out:
                out.append(p)
    return out


def machine_presets(name: str) -> list[str]:
    """The presets a machine's cases are generated on by default: tiny, and the presets
    its own mutants are checked on (``av_threshold_ge`` needs ``trio``: on ``tiny`` a
    2/3 boundary is never met exactly)."""
    out = [get_machine_class(name).default_preset]
    for mut in sorted(MUTANTS.values(), key=lambda m: m.name):
        if mut.machine == name and mut.preset and mut.preset not in out:
            out.append(mut.preset)
    return out


def generate(out: str | Path, opts: Options, log: Callable[[str], None] = lambda s: None,
             cases_map: "CasesMap | None" = None) -> GenerationResult:
    """Generate the suite into ``out`` (replaced as a whole, atomically at the end); ``cases_map``
    computes the machines' cases (default: one after the other, in this process)."""
    enabled = gc.isenabled()
    gc.disable()  # the pools hold many small immutable objects: no cycles to collect
    try:
        return _generate(Path(out), opts, log, cases_map)
    finally:
        if enabled:
            gc.enable()
            gc.collect()


class _Suite:
    """The suite being written into ``tmp``: its cases, schemas, rule index and gaps."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.cases: list[Case] = []
        self.handler_counts: dict[str, Counter] = {}
        self.schemas: dict[str, dict] = {}
        self.gaps: list[str] = []
        self.rules_index: dict[str, dict[str, Any]] = {}
        self.pools: dict[str, dict] = {}
        #: "preset/machine/handler" -> {"fields": [...], "changed_by_cases": [...]}
        self.effects: dict[str, dict] = {}
        #: preset -> the selected machines that do not define it (no cases there)
        self.skipped: dict[str, list[str]] = {}

    def machine(self, preset: str, g: "_MachineGen") -> None:
        """Record one machine's parameters (``<preset>/<machine>/config.json``), pool,
        schemas and cases."""
        config = config_json(g.m)
        (self.tmp / preset / g.name).mkdir(exist_ok=True)
        (self.tmp / preset / g.name / "config.json").write_text(dump(config))
        pool = g.pool
        self.pools[f"{preset}/{g.name}"] = {
            "explorations": [
                {"kind": "exhaustive" if k == 0 else "sampled",
                 "overrides": g.sampling if k == 0 and pool.machines[0] is not g.m else {},
                 "states": pool.source.count(k), "complete": pool.complete[k]}
                for k in range(len(pool.machines))],
            "shapes": len(set(pool.shapes)), "transitions": len(pool.transitions),
            "max_actions": g.opts.max_actions, "states_with_inputs_cut": pool.cut,
            "steps_per_pass": g.steps,
            "rules_accepting_with_effect": g.rule_effect,
            "parameters": config}
        for h in g.handlers:
            if h.qualified not in self.schemas:
                from .schemas import handler_schema

                self.schemas[h.qualified] = handler_schema(g.m, h)
        for q, e in g.effect.items():
            self.effects[f"{preset}/{q}"] = e
        for d in g.drafts:
            self.write_case(preset, g.m, d, config)

    def write_case(self, preset: str, m: Machine, d: _Draft, config: dict) -> None:
        obj = _case_json(preset, m, d)
        rel = f"{preset}/{d.handler.qualified}/{d.name}.json"
        path = self.tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            raise RuntimeError(f"two cases named {rel}")
        path.write_text(dump(obj))
        self.cases.append(Case(rel, obj, config))
        self.handler_counts.setdefault(f"{preset}/{d.handler.qualified}", Counter())[d.kind] += 1
        for rid in obj["rules"]:
            entry = self.rules_index.setdefault(rid, {"positive": [], "negative": [], "cases": 0})
            entry["cases"] += 1
        if d.kind == "rule":
            self.rules_index[d.extra["rule"]][d.extra["polarity"]].append(obj["id"])

    def write_schemas(self) -> None:
        """Schemas travel with the suite."""
        from .schemas import envelope_schemas, shipped_name

        (self.tmp / "schemas").mkdir()
        for q in sorted(self.schemas):
            (self.tmp / "schemas" / shipped_name(q)).write_text(dump(self.schemas[q]))
        for fname, sch in sorted(envelope_schemas().items()):
            (self.tmp / "schemas" / fname).write_text(dump(sch))

    def suites(self) -> dict[str, dict]:
        """The runtime / runtime_module / node / protocol split (``suites.py``)."""
        from .suites import SUITES, suite_of

        out = {name: {"description": text, "handlers": [], "cases": 0} for name, text in SUITES.items()}
        for k, c in sorted(self.handler_counts.items()):
            entry = out[suite_of(k.split("/", 1)[1])]
            entry["handlers"].append(k)
            entry["cases"] += sum(c.values())
        return out

    def index(self, opts: Options, presets: list[str], machines: list[str], mutation: dict) -> dict:
        from .schemas import shipped_name

        return {
            "format": FORMAT,
            "generator": "paraspec vectors generate",
            "presets": presets,
            "machines": machines,
            "machines_without_preset": self.skipped,
            "options": {"per_shape": opts.per_shape, "max_states": opts.max_states,
                        "mutant_states": opts.mutant_states, "cross_states": opts.cross_states,
                        "trace_limit": opts.trace_limit, "max_actions": opts.max_actions,
                        "max_transitions_cut": opts.max_transitions_cut,
                        "reading": opts.reading or "seed"},
            "cases": len(self.cases),
            "pools": self.pools,
            "handlers": {
                k: {"cases": sum(c.values()), **{kind: c[kind] for kind in KINDS},
                    "schema": f"schemas/{shipped_name(k.split('/', 1)[1])}",
                    "effects": self.effects.get(k, {"fields": [], "changed_by_cases": []})}
                for k, c in sorted(self.handler_counts.items())
            },
            "suites": self.suites(),
            "rules": {r: self.rules_index[r] for r in sorted(self.rules_index, key=rule_key)},
            "gaps": self.gaps,
            "mutation_adequacy": {
                "killed": sum(1 for f, _, _ in mutation.values() if f),
                "mutants": len(mutation),
                "by_mutant": {k: {"killed": bool(f), "cases_run": n, "failing_case": first}
                              for k, (f, n, first) in sorted(mutation.items())},
            },
        }


def _mutant_drafts(g: "_MachineGen", preset: str, log: Callable[[str], None]) -> list[tuple[Mutant, _Draft]]:
    out = []
    for mut in sorted((x for x in MUTANTS.values() if x.machine == g.name), key=lambda x: x.name):
        d = g.mutant_case(mut)
        if d is None:
            log(f"  {preset}/{g.name}: mutant {mut.name} answers like the model on every explored input")
        else:
            out.append((mut, d))
    return out


def _mutant_negatives(g: "_MachineGen", mutant_drafts, catalogue: dict) -> None:
    """Negatives no input gives: the case of a mutant breaking the rule."""
    for rid in g.rule_targets:
        if (rid, False) in g.rule_found:
            continue

        def fit(md, rid=rid):
            kills = [p for p in g.props if p.name in md[0].kills]
            naming = [p for p in kills if rid in p.rules]
            return (-len(naming) / max(len(kills), 1), min((len(p.rules) for p in naming), default=99),
                    md[0].name)

        for mut, d in sorted(mutant_drafts, key=fit):
            if rid in {r for p in g.props if p.name in mut.kills for r in p.rules}:
                title = catalogue[rid].title if rid in catalogue else ""
                g.drafts.append(_Draft(
                    d.handler, f"rule_{rid}_negative", "rule",
                    f"{rid} ({title}), negative: no input the model accepts breaks {rid}; this is the "
                    f"step where mutant {mut.name}, which breaks it, differs: {d.description}",
                    set(d.rules) | {rid}, d.pre, d.action, d.answer,
                    {"rule": rid, "polarity": "negative", "mutant": mut.name}, d.overrides))
                g.rule_found[(rid, False)] = []
                break


def machine_cases(preset: str, name: str, opts: Options, catalogue: dict,
                  log: Callable[[str], None]) -> "_MachineGen":
    """One machine's pool and cases on one preset (independent of every other machine and preset:
    ``vectors generate --ray`` runs these as Ray tasks)."""
    g = _MachineGen(preset, name, opts, catalogue, log)
    g.run()
    mutant_drafts = _mutant_drafts(g, preset, log)
    _mutant_negatives(g, mutant_drafts, catalogue)
    g.drafts.extend(d for _, d in mutant_drafts)
    g.effects()
    return g


#: computes the ``machine_cases`` of a list of (preset, machine), in order (``--ray``: as Ray tasks)
CasesMap = Callable[[list, Options, dict, Callable[[str], None]], list]


def local_cases(jobs: list, opts: Options, catalogue: dict, log: Callable[[str], None]) -> list:
    return [machine_cases(preset, name, opts, catalogue, log) for preset, name in jobs]


class _Lazy:
    def __init__(self, opts: Options, catalogue: dict, log: Callable[[str], None]):
        self.args = (opts, catalogue, log)

    def __getitem__(self, job: tuple[str, str]) -> "_MachineGen":
        return machine_cases(*job, *self.args)


def _of_other_reading(rule: Any, reading: str) -> bool:
    """Whether a rule of ``spec/`` holds under another reading only: its title says
    ``(reading=R)`` (INC-31, decision CFG-D5)."""
    import re

    m = re.search(r"\(reading=(\w+)\)", getattr(rule, "title", "") or "")
    return m is not None and m.group(1) != reading


def _preset(suite: _Suite, preset: str, machines: list[str], opts: Options, catalogue: dict,
            log: Callable[[str], None], gens: "dict | _Lazy") -> None:
    """Generate every selected machine's cases on one preset (and note the rules left without one)."""
    (suite.tmp / preset).mkdir()
    have: dict[str, set[bool]] = {}  # rule -> polarities with a case on this preset
    owners: dict[str, list[str]] = {}  # rule -> the machines whose properties name it
    for name in machines:
        if not opts.presets and preset not in machine_presets(name):
            continue
        if preset not in get_machine_class(name).presets:  # --preset names it; this machine has no such preset
            suite.skipped.setdefault(preset, []).append(name)
            continue
        g = gens[(preset, name)]
        for rid in g.rule_targets:
            for pol in (True, False):
                if (rid, pol) in g.rule_found:
                    have.setdefault(rid, set()).add(pol)
        for rid in g.named:
            owners.setdefault(rid, []).append(name)
        suite.machine(preset, g)
    # a rule named by a machine's properties needs a case of each polarity on the preset (from
    # any machine: a rule shared by two machines may get its negative from the other one)
    for rid in sorted(owners, key=rule_key):
        if _of_other_reading(catalogue.get(rid), opts.reading or "seed"):
            continue  # a rule of the other reading (its title says so) has no case under this one
        for pol, word in ((True, "positive"), (False, "negative")):
            if pol not in have.get(rid, ()):
                suite.gaps.append(f"{preset}: {rid} has no {word} case (named by {', '.join(owners[rid])})")


def _generate(out: Path, opts: Options, log: Callable[[str], None], cases_map: "CasesMap | None") -> GenerationResult:
    start = time.perf_counter()
    load_all()
    machines = list(opts.machines) or machine_names()
    presets = list(opts.presets) or default_presets(machines)
    catalogue = load_rules()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sweep(out.parent)  # the temporaries of an interrupted run (an old suite set aside is put back)
    tmp = temp_path(out)
    tmp.mkdir()
    try:
        suite = _Suite(tmp)
        jobs = [(p, n) for p in presets for n in machines if (opts.presets or p in machine_presets(n))
                and p in get_machine_class(n).presets]
        # locally each machine's cases are made when its turn comes (one pool in memory at a time)
        gens = _Lazy(opts, catalogue, log) if cases_map is None else dict(zip(jobs, cases_map(jobs, opts, catalogue, log)))
        for preset in presets:
            _preset(suite, preset, machines, opts, catalogue, log, gens)
        suite.write_schemas()
        generated = {c.machine for c in suite.cases}  # not the machines a --preset skipped
        mutation = adequacy(suite.cases, [m for m in sorted(MUTANTS) if MUTANTS[m].machine in generated])
        index = suite.index(opts, presets, machines, mutation)
        (tmp / "index.json").write_text(dump(index))
        replace_dir(out, tmp)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return GenerationResult(out, len(suite.cases), suite.handler_counts, mutation, suite.gaps,
                            time.perf_counter() - start, index, suite.effects)


def adequacy(cases: list[Case], mutants: list[str]) -> dict[str, tuple[int, int, str | None]]:
    """Run each mutant, as the reference adapter would serve it, on the cases of its
    machine until one fails: (1 if killed else 0, cases run, the failing case id).

    The cases made for the mutant (its counterexample step) go first, then the others
    in suite order; a mutant that passes them all has run every case of its machine."""
    out: dict[str, tuple[int, int, str | None]] = {}
    for name in mutants:
        mut = MUTANTS[name]
        ref = Reference(name)
        mine = [c for c in cases if c.machine == mut.machine]
        mine.sort(key=lambda c: c.data.get("mutant") != name)  # stable: own cases first
        run = 0
        first = None
        for c in mine:
            run += 1
            resp = ref.answer(request_of(c.data, c.config))
            ok = "error" not in resp and first_difference(expected_of(c.data),
                                                          {k: v for k, v in resp.items() if k != "id"}) is None
            if not ok:
                first = c.id
                break
        out[name] = (1 if first else 0, run, first)
    return out
