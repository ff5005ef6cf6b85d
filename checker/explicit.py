"""The explicit-state engine: breadth-first search with shortest counterexamples.

States are stored only by their stable 64-bit fingerprint (or, for a machine with a
compact ``layout``, its exact code; see ``checker.packing``), with a parent pointer
(the parent's index and the index of the action taken in ``actions(parent)``) in
integer arrays. A trace is rebuilt by re-executing those actions from the initial
state, so memory per state is a few dozen bytes, as in TLC and Stateright.

The API is an immutable builder::

    result = (Checker(machine)
              .with_properties(props)
              .with_max_depth(20)
              .run())

Options, each optional and each with the same verdicts as the plain search:

* ``with_symmetry()``: one representative per orbit of the machine's declared
  symmetry (``checker.symmetry``); counterexamples are lifted to concrete runs;
* ``with_workers(n)``: the frontier is expanded by ``n`` processes (``checker.parallel``);
* ``with_checkpoint(dir)`` / ``with_resume(dir)``: the search state is saved every
  ``checkpoint_every`` seconds; a killed run resumes where it was saved;
* ``with_engine("vector")``: the numpy engine of ``checker.vector``, for machines whose
  rules and properties are vectorized (``"auto"``, the default, picks it when possible).

Liveness properties (``eventually``, ``leads_to``) are decided on the explored graph
when the search is complete (``checker.liveness``).
"""

from __future__ import annotations

import gc
import time
import traceback
from array import array
from typing import Any, Callable, Iterable

import attrs

from paraspec.model.core import Machine, Rejected
from paraspec.properties.core import Kind, Property

from .fingerprint import fingerprint
from .trace import Trace

__all__ = ["Checker", "Result", "PropertyResult", "Verdict", "ModelError", "CheckpointMismatch", "ENGINES"]


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
    #: the parameters the machine was explored with (``Machine.parameter_values``): the
    #: preset's name and every value the machine honours, overrides applied
    parameters: dict[str, Any] = attrs.field(factory=dict, eq=False)

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

#: the engines ``Checker.with_engine`` accepts
ENGINES = ("auto", "explicit", "vector")


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
    #: explore one state per orbit of the machine's declared symmetry
    symmetry: bool = False
    #: worker processes expanding the frontier (1: in this process)
    workers: int = 1
    #: directory where the search state is saved, and how often (seconds)
    checkpoint_dir: str | None = None
    checkpoint_every: float = 30.0
    #: continue from the checkpoint in ``checkpoint_dir``
    resume: bool = False
    #: "explicit" (state by state), "vector" (numpy batches; machines that declare
    #: ``vectorized``), or "auto" (vector when the machine and properties allow it)
    engine: str = "auto"

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

    def with_symmetry(self, on: bool = True) -> "Checker":
        """Explore one representative per orbit of the machine's declared symmetry (a
        machine without one is explored in full)."""
        return attrs.evolve(self, symmetry=on)

    def with_workers(self, n: int) -> "Checker":
        return attrs.evolve(self, workers=max(1, int(n)))

    def with_checkpoint(self, directory: str | None, every: float = 30.0) -> "Checker":
        return attrs.evolve(self, checkpoint_dir=directory, checkpoint_every=every)

    def with_resume(self, directory: str) -> "Checker":
        return attrs.evolve(self, checkpoint_dir=directory, resume=True)

    def with_engine(self, engine: str) -> "Checker":
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
        return attrs.evolve(self, engine=engine)

    # -- engine choice -------------------------------------------------------------------------
    def vector_unsupported(self) -> str | None:
        """Why the vectorized engine cannot run this check (None when it can)."""
        from .vector import unsupported

        return unsupported(self)

    def chosen_engine(self) -> str:
        if self.engine == "explicit":
            return "explicit"
        reason = self.vector_unsupported()
        if self.engine == "vector":
            if reason is not None:
                raise ValueError(f"the vector engine cannot run this check: {reason}")
            return "vector"
        return "explicit" if reason is not None else "vector"

    # -- the search ------------------------------------------------------------------------------
    def run(self) -> Result:
        return attrs.evolve(self._run(), parameters=self.machine.parameter_values())

    def _run(self) -> Result:
        if self.chosen_engine() == "vector":
            from .vector import run_vector

            result = run_vector(self)
            if result.error is None or self.engine == "vector":
                return result
            # a model error: the explicit engine reports it with its trace
        return _Search(self).run()


# ---------------------------------------------------------------------------------------------------
# the explicit engine


def _liveness_props(props):
    return [p for p in props if p.kind in (Kind.EVENTUALLY, Kind.LEADS_TO)]


class _Expander:
    """Expands states: every action, its successor's fingerprint, and the properties
    evaluated on the transition and on the successor. Runs in the search process or,
    with ``workers > 1``, in each worker (``checker.parallel``)."""

    def __init__(self, machine, props, symmetry: bool):
        self.m = machine
        self.invariants = [p for p in props if p.kind == Kind.ALWAYS]
        self.trans = [p for p in props if p.kind == Kind.TRANSITION]
        self.somes = [p for p in props if p.kind == Kind.SOMETIMES]
        self.state_witnesses = [p for p in self.invariants if p.witness is not None]
        self.by_action: dict[type, tuple[list[Property], list[Property]]] = {}
        fair = getattr(machine, "fairness", ()) or ()
        self.fair = tuple(fair)
        self.labels: dict[type, int] = {}
        self.canon = None
        if symmetry:
            from .symmetry import canonicalizer_for

            # a liveness family indexed by paras (``over``) is not preserved by permuting
            # the paras: keep them fixed then (validators are still permuted)
            fix = any(p.over is not None for p in props if p.kind in (Kind.EVENTUALLY, Kind.LEADS_TO))
            self.canon = canonicalizer_for(machine, fix_paras=fix)
        from .packing import layout_of

        self.layout = layout_of(machine)

    def label_of(self, cls: type) -> int:
        got = self.labels.get(cls)
        if got is None:
            got = 0
            for i, f in enumerate(self.fair):
                if issubclass(cls, f):
                    got |= 1 << i
            self.labels[cls] = got
        return got

    def trans_for(self, cls: type):
        got = self.by_action.get(cls)
        if got is None:
            ps = [p for p in self.trans if not p.on or issubclass(cls, p.on)]
            got = (ps, [p for p in ps if p.witness is not None])
            self.by_action[cls] = got
        return got

    def key(self, s) -> tuple[Any, int]:
        """(the state to store, its fingerprint): the orbit representative under symmetry."""
        if self.canon is not None:
            rep, fp = self.canon.canonical(s)
        elif self.layout is not None:
            rep, fp = s, self.layout.code(s)
        else:
            return s, fingerprint(s)
        if fp >> 64:  # a code wider than a fingerprint: hash it
            fp = fingerprint(fp)
        return rep, fp

    def fp(self, s) -> int:
        return self.key(s)[1]

    def state_info(self, s) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(violated invariants, fired state witnesses, satisfied sometimes) of a state."""
        m = self.m
        bad = tuple(p.name for p in self.invariants if not p.predicate(m, s))
        wit = tuple(p.name for p in self.state_witnesses if p.witness(m, s))
        some = tuple(p.name for p in self.somes if p.predicate(m, s))
        return bad, wit, some

    def _reduced_successors(self, s):
        """Successors, skipping actions interchangeable with an earlier one (same orbit)."""
        m = self.m
        canon = self.canon
        for i, a in enumerate(m.actions(s)):
            if canon.redundant(s, a):
                continue
            try:
                yield i, a, m.step(s, a)
            except Rejected as r:
                yield i, a, r

    def expand(self, s, skip: Callable[[int], bool] | None = None):
        """Expand one state.

        Returns ``(succs, tviol, twit)``: ``succs`` a list of ``(act_idx, label, rule,
        fp, state, info)`` (``rule`` the rejecting rule ID or None; for an accepted
        successor its fingerprint, and when ``skip(fp)`` is false the stored state and
        its ``state_info``); ``tviol`` the transition properties violated, as
        ``(name, act_idx)`` in action order; ``twit`` witness hits by name.
        """
        m = self.m
        succs = []
        tviol: list[tuple[str, int]] = []
        twit: dict[str, int] = {}
        canon = self.canon
        for idx, a, t in (m.successors(s) if canon is None else self._reduced_successors(s)):
            tprops, twits = self.trans_for(type(a))
            for p in twits:
                if p.witness(m, s, a, t):
                    twit[p.name] = twit.get(p.name, 0) + 1
            for p in tprops:
                if not p.predicate(m, s, a, t):
                    tviol.append((p.name, idx))
            if isinstance(t, Rejected):
                succs.append((idx, 0, t.rule_id, 0, None, None))
                continue
            rep, tfp = self.key(t)
            if skip is not None and skip(tfp):
                succs.append((idx, self.label_of(type(a)), None, tfp, None, None))
            else:
                succs.append((idx, self.label_of(type(a)), None, tfp, rep, self.state_info(rep)))
        return succs, tviol, twit


class _Search:
    """One breadth-first search (resumable from a checkpoint)."""

    def __init__(self, checker: Checker):
        self.c = checker
        self.m = checker.machine
        self.props = checker.properties
        self.live = _liveness_props(self.props)
        self.x = _Expander(self.m, self.props, checker.symmetry)

    # -- state of the search (what a checkpoint holds) ------------------------------------------
    def fresh(self):
        from .liveness import Graph

        self.index: dict[int, int] = {}
        self.fps = array("Q")
        self.parent = array("q")
        self.parent_act = array("i")
        self.graph = Graph() if self.live else None
        self.frontier: list[tuple[int, Any]] = []
        self.pos = 0
        self.nxt: list[tuple[int, Any]] = []
        self.depth = 0
        self.transitions = 0
        self.deadlocks = 0
        self.deadlock_idx: int | None = None
        self.dead = array("B") if self.live else None
        self.rejections: dict[str, int] = {}
        self.witness_hits: dict[str, int] = {p.name: 0 for p in self.props}
        #: name -> (state index, action index or None)
        self.violations: dict[str, tuple[int, int | None]] = {}
        self.some_found: dict[str, int] = {}
        self.elapsed_before = 0.0
        self.stopped: str | None = None
        self.started = False

    def add_state(self, fp: int, parent: int, act: int, state, info) -> int:
        i = len(self.fps)
        self.index[fp] = i
        self.fps.append(fp)
        self.parent.append(parent)
        self.parent_act.append(act)
        if self.graph is not None:
            self.graph.add_state(parent, act)
            self.dead.append(0)
        bad, wit, some = info
        for name in bad:
            if name not in self.violations:
                self.violations[name] = (i, None)
        for name in wit:
            self.witness_hits[name] += 1
        for name in some:
            if name not in self.some_found:
                self.some_found[name] = i
                self.witness_hits[name] += 1
        return i

    # -- checkpoints ------------------------------------------------------------------------------------
    _FIELDS = ("fps", "parent", "parent_act", "graph", "frontier", "pos", "nxt", "depth", "transitions",
               "deadlocks", "deadlock_idx", "dead", "rejections", "witness_hits", "violations", "some_found",
               "elapsed_before", "stopped", "started")

    def _identity(self) -> dict[str, Any]:
        m = self.m
        return {"machine": m.name, "mutant": m.mutant_name, "config": repr(m.config),
                "properties": [p.qualified for p in self.props], "symmetry": self.c.symmetry,
                "max_depth": self.c.max_depth, "max_states": self.c.max_states}

    def save(self, elapsed: float) -> None:
        import os
        import pickle
        from pathlib import Path

        d = Path(self.c.checkpoint_dir)
        d.mkdir(parents=True, exist_ok=True)
        data = {k: getattr(self, k) for k in self._FIELDS}
        data["elapsed_before"] = elapsed
        data["identity"] = self._identity()
        tmp = d / f"search.pickle.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(d / "search.pickle")

    def load(self) -> bool:
        import pickle
        from pathlib import Path

        path = Path(self.c.checkpoint_dir) / "search.pickle"
        if not path.exists():
            return False
        with open(path, "rb") as f:
            data = pickle.load(f)
        if data.get("identity") != self._identity():
            raise CheckpointMismatch(f"{path}: the checkpoint is of another check "
                                     f"({data.get('identity', {}).get('machine')!r}); run it with the same "
                                     "machine, preset, mutant, properties and options")
        for k in self._FIELDS:
            setattr(self, k, data[k])
        self.index = {fp: i for i, fp in enumerate(self.fps)}
        return True

    # -- trace reconstruction ----------------------------------------------------------------------
    def path_to(self, i: int) -> list[int]:
        path = []
        cur = i
        while cur != -1:
            path.append(cur)
            cur = self.parent[cur]
        path.reverse()
        return path

    def trace(self, idxs: list[int], loop: int | None = None, closing: int | None = None) -> Trace:
        """The concrete run through the states ``idxs`` (a path of the explored graph)."""
        m = self.m
        inits = list(m.init())
        fps = [self.fps[i] for i in idxs]
        if self.x.canon is not None:
            from .symmetry import lift_path

            out = lift_path(m, self.x.fp, inits, fps, loop)
            if loop is None:
                states, actions = out
                return Trace.of(m, tuple(states), tuple(actions))
            states, actions, cloop = out
            return Trace.of(m, tuple(states), tuple(actions), loop=cloop)
        state = next(s for s in inits if self.x.fp(s) == fps[0])
        states = [state]
        actions = []
        for k in range(1, len(idxs)):
            act = self._edge_act(idxs[k - 1], idxs[k])
            a = list(m.actions(state))[act]
            state = m.step(state, a)
            actions.append(a)
            states.append(state)
        assert self.x.fp(state) == fps[-1], "trace replay diverged: actions() or step() is not deterministic"
        if closing is not None:
            actions.append(list(m.actions(state))[closing])
        return Trace.of(m, tuple(states), tuple(actions), loop=loop)

    def _edge_act(self, u: int, v: int) -> int:
        if self.parent[v] == u:
            return self.parent_act[v]
        return self._lasso_acts[(u, v)]

    def rebuild(self, i: int) -> Trace:
        return self.trace(self.path_to(i))

    # -- the loop ------------------------------------------------------------------------------------
    def run(self) -> Result:
        c = self.c
        m = self.m
        self.fresh()
        if c.resume:
            if c.checkpoint_dir is None or not self.load():
                raise CheckpointMismatch(f"{c.checkpoint_dir}: no checkpoint to resume from")
        start = time.perf_counter() - self.elapsed_before
        last_save = time.perf_counter()
        error: ModelError | None = None
        pool = None
        gc_was_enabled = gc.isenabled()
        gc.disable()  # the search allocates many small immutable objects and no cycles
        try:
            if not self.started:
                for i, s in enumerate(m.init()):
                    rep, fp = self.x.key(s)
                    if fp in self.index:
                        continue
                    self.add_state(fp, -1, i, rep, self.x.state_info(rep))
                    self.frontier.append((len(self.fps) - 1, rep))
                self.started = True
            if c.workers > 1:
                from .parallel import Pool

                pool = Pool(c.workers, m, self.props, c.symmetry)
            next_progress = len(self.fps) + c.progress_every
            while self.frontier and self.stopped is None:
                if c.max_depth is not None and self.depth >= c.max_depth:
                    self.stopped = "max_depth"
                    break
                error = self._level(pool, start, last_save)
                if error is not None or self.stopped is not None:
                    break
                self.frontier, self.nxt, self.pos = self.nxt, [], 0
                if self.frontier:
                    self.depth += 1
                if c.checkpoint_dir is not None and time.perf_counter() - self._last_save >= c.checkpoint_every:
                    self.save(time.perf_counter() - start)
                    self._last_save = time.perf_counter()
                if c.progress is not None and len(self.fps) >= next_progress:
                    next_progress = len(self.fps) + c.progress_every
                    c.progress(len(self.fps), self.depth, time.perf_counter() - start)
            elapsed = time.perf_counter() - start
            if c.checkpoint_dir is not None and error is None:
                self.save(elapsed)
            if c.progress is not None:
                c.progress(len(self.fps), self.depth, elapsed)
            result = self._result(elapsed, error)
        finally:
            if pool is not None:
                pool.close()
            if gc_was_enabled:
                gc.enable()
        return result

    _last_save = 0.0

    def _level(self, pool, start: float, last_save: float) -> ModelError | None:
        c = self.c
        x = self.x
        index = self.index
        live = self.graph is not None
        if self._last_save == 0.0:
            self._last_save = last_save
        frontier = self.frontier
        if pool is not None:
            batches = pool.expand(frontier, self.pos, lambda fp: fp in index)
        else:
            batches = None
        while self.pos < len(frontier):
            i, s = frontier[self.pos]
            if c.time_limit is not None and time.perf_counter() - start > c.time_limit:
                self.stopped = "time_limit"
                return None
            if c.max_states is not None and len(self.fps) >= c.max_states:
                self.stopped = "max_states"
                return None
            if batches is not None:
                got = next(batches)
                if isinstance(got, BaseException) or (isinstance(got, tuple) and got and got[0] == "error"):
                    return ModelError(got[1], self.rebuild(i), got[2])
                succs, tviol, twit = got
            else:
                try:
                    succs, tviol, twit = x.expand(s, index.__contains__)
                except Exception as e:  # a bug in the model or a property
                    return ModelError(f"{type(e).__name__}: {e}", self.rebuild(i), traceback.format_exc(limit=6))
            any_ok = False
            violations = self.violations
            for name, act in tviol:
                if name not in violations:
                    violations[name] = (i, act)
            for name, k in twit.items():
                self.witness_hits[name] += k
            for act, label, rule, fp, rep, info in succs:
                self.transitions += 1
                if rule is not None:
                    self.rejections[rule] = self.rejections.get(rule, 0) + 1
                    continue
                any_ok = True
                j = index.get(fp)
                if j is None:
                    if rep is None:  # a worker already sent it in this level: expand it here
                        raise AssertionError("worker skipped a state the search has not stored")
                    j = self.add_state(fp, i, act, rep, info)
                    self.nxt.append((j, rep))
                if live:
                    self.graph.add_edge(i, j, act, label)
            if not any_ok:
                self.deadlocks += 1
                if self.deadlock_idx is None:
                    self.deadlock_idx = i
                if live:
                    self.dead[i] = 1
            self.pos += 1
            if c.progress is not None and (self.pos & 4095) == 0:
                c.progress(len(self.fps), self.depth, time.perf_counter() - start)
            if c.stop_on and self.violations and (
                    c.stop_on is True or (not isinstance(c.stop_on, bool) and c.stop_on <= self.violations.keys())):
                self.stopped = "violation"
                return None
            if c.checkpoint_dir is not None and (self.pos & 255) == 0 and \
                    time.perf_counter() - self._last_save >= c.checkpoint_every:
                self.save(time.perf_counter() - start)
                self._last_save = time.perf_counter()
        return None

    def _result(self, elapsed: float, error: ModelError | None) -> Result:
        c = self.c
        m = self.m
        complete = self.stopped is None and error is None
        verdicts: dict[str, PropertyResult] = {}
        hits = self.witness_hits
        for p in self.props:
            if p.name in self.violations:
                i, act = self.violations[p.name]
                tr = self.rebuild(i)
                if p.kind == Kind.TRANSITION:
                    s = tr.states[-1]
                    a = list(m.actions(s))[act]
                    try:
                        t = m.step(s, a)
                    except Rejected as r:
                        t = r
                    tr = tr.extend(a, t)
                verdicts[p.name] = PropertyResult(p, Verdict.VIOLATED, tr, hits[p.name])
            elif p.kind in (Kind.ALWAYS, Kind.TRANSITION):
                if p.witness is not None and hits[p.name] == 0 and complete:
                    verdicts[p.name] = PropertyResult(p, Verdict.VACUOUS, None, 0)
                else:
                    verdicts[p.name] = PropertyResult(p, Verdict.HOLDS, None, hits[p.name])
            elif p.kind == Kind.SOMETIMES:
                if p.name in self.some_found:
                    verdicts[p.name] = PropertyResult(p, Verdict.WITNESSED, self.rebuild(self.some_found[p.name]),
                                                      hits[p.name])
                else:
                    verdicts[p.name] = PropertyResult(p, Verdict.UNWITNESSED, None, 0)
        if self.live:
            verdicts.update(self._liveness(complete, error))
        dl_trace = None
        if self.deadlock_idx is not None and m.deadlock_is_error:
            dl_trace = self.rebuild(self.deadlock_idx)
        return Result(
            machine=m.name, preset=m.config.name, mutant=m.mutant_name,
            engine="bfs" + (f"x{c.workers}" if c.workers > 1 else "") + ("+symmetry" if self.x.canon else ""),
            states=len(self.fps), transitions=self.transitions, depth=self.depth, complete=complete,
            stopped=self.stopped, elapsed=elapsed, properties=tuple(verdicts[p.name] for p in self.props),
            rejections=dict(sorted(self.rejections.items())), deadlocks=self.deadlocks, deadlock_trace=dl_trace,
            error=error,
        )

    def _liveness(self, complete: bool, error) -> dict[str, PropertyResult]:
        from .liveness import check_leads_to

        out: dict[str, PropertyResult] = {}
        if not complete:
            for p in self.live:
                out[p.name] = PropertyResult(p, Verdict.NOT_CHECKED)
            return out
        m = self.m
        g = self.graph
        n = g.n
        states = self._all_states()
        inits = [g.parent[i] == -1 for i in range(n)]
        self._lasso_acts: dict[tuple[int, int], int] = {}
        for p in self.live:
            keys = list(p.over(m)) if p.over is not None else [None]
            found = None
            for key in keys:
                args = () if key is None else (key,)
                if p.kind == Kind.EVENTUALLY:
                    trig = inits
                    goal = [bool(p.predicate(m, s, *args)) for s in states]
                else:
                    trig = [bool(p.predicate(m, s, *args)) for s in states]
                    goal = [bool(p.goal(m, s, *args)) for s in states]
                lasso = check_leads_to(g, trig, goal, len(self.x.fair), g_dead(self.dead))
                if lasso is not None:
                    found = lasso
                    break
            if found is None:
                out[p.name] = PropertyResult(p, Verdict.HOLDS)
                continue
            idxs = list(found.states)
            for k in range(1, len(idxs)):
                self._lasso_acts[(idxs[k - 1], idxs[k])] = found.acts[k - 1]
            closing = found.acts[-1]
            if closing is not None:
                self._lasso_acts[(idxs[-1], idxs[found.loop])] = closing
            tr = self._lasso_trace(idxs, found.loop, closing)
            out[p.name] = PropertyResult(p, Verdict.VIOLATED, tr)
        return out

    def _lasso_trace(self, idxs: list[int], loop: int, closing: int | None) -> Trace:
        if self.x.canon is not None:
            cycle_fps = idxs
            return self.trace(cycle_fps, loop=loop)
        return self.trace(idxs, loop=loop, closing=closing)

    def _all_states(self) -> list[Any]:
        """Every stored state by index (replayed along the parent tree)."""
        m = self.m
        n = len(self.fps)
        out: list[Any] = [None] * n
        inits = list(m.init())
        for i in range(n):
            p = self.parent[i]
            if p == -1:
                out[i] = self.x.key(inits[self.parent_act[i]])[0]
            else:
                s = out[p]
                a = list(m.actions(s))[self.parent_act[i]]
                out[i] = self.x.key(m.step(s, a))[0]
        return out


def g_dead(dead):
    return [bool(x) for x in dead]


class CheckpointMismatch(ValueError):
    """A checkpoint that cannot be resumed by this check (one line for the CLI)."""
