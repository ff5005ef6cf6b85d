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
import itertools
import time
from array import array
from typing import Any, Callable, Iterable

import attrs

from paraspec.model.core import Machine
from paraspec.model.space import Space
from paraspec.properties.core import Kind, Property

from .expander import Expander, Interrupted
from .explore import Exploration, Halt, Visitor
from .results import (
    CheckpointMismatch,
    EngineUnavailable,
    ModelError,
    model_error,
    PropertyResult,
    Result,
    Verdict,
    property_results,
    stop_on_reached,
    SymmetryRefused,
)
from .trace import Trace

__all__ = ["Checker", "ENGINES"]


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
                raise EngineUnavailable(f"the vector engine cannot run this check: {reason}")
            return "vector"
        return "explicit" if reason is not None else "vector"

    # -- the search ------------------------------------------------------------------------------
    def run(self) -> Result:
        return attrs.evolve(self._run(), parameters=self.machine.parameter_values())

    def symmetry_refusal(self) -> str | None:
        """Why the symmetry reduction asked for cannot be applied (None when it can): a property
        declared ``symmetric=False`` names a particular validator or para, which the machine's
        permutations move, so the reduced search could miss its violations. It is refused, not
        silently applied (nor silently dropped): check that property without ``--symmetry``."""
        if not self.symmetry or getattr(self.machine, "symmetry", None) is None:
            return None
        for p in self.properties:
            if not p.symmetric:
                return (f"--symmetry: property {p.name} names a particular validator or para, which "
                        f"{self.machine.name}'s symmetry permutes; check it without --symmetry")
        return None

    def _run(self) -> Result:
        why = self.symmetry_refusal()
        if why is not None:
            raise SymmetryRefused(why)
        if self.chosen_engine() == "vector":
            from .vector import run_vector

            result = run_vector(self)
            if result.error is None or self.engine == "vector":
                return result
            # a model error: the explicit engine reports it with its trace
        return _Search(self).run()


# ---------------------------------------------------------------------------------------------------
# the explicit engine


def nth_action(m: Machine, state, k: int):
    """The ``k``-th input of ``actions(state)``, without listing the others."""
    acts = m.actions(state)
    if isinstance(acts, Space):
        return acts[k]
    return next(itertools.islice(acts, k, None))


def _liveness_props(props):
    return [p for p in props if p.kind in (Kind.EVENTUALLY, Kind.LEADS_TO)]


class _Search(Visitor):
    """One breadth-first search (resumable from a checkpoint): the visitor of the
    exploration core (``checker.explore``) that evaluates the properties (through an
    :class:`~checker.expander.Expander`, in this process or in workers) and records
    verdicts, rejections, deadlocks and, for liveness, the explored graph."""

    def __init__(self, checker: Checker):
        super().__init__(checker.machine)
        self.c = checker
        self.m = checker.machine
        self.props = checker.properties
        self.live = _liveness_props(self.props)
        self.x = Expander(self.m, self.props, checker.symmetry)
        if checker.time_limit is not None or checker.max_states is not None:
            self.x.interrupt = self._limit  # the limits hold inside a state's expansion too
        self.pool = None
        self.batches = None
        self.error: ModelError | None = None

    # -- state of the search (what a checkpoint holds) ------------------------------------------
    def fresh(self):
        from .liveness import Graph

        self.ex = Exploration(compact=True)
        self.graph = Graph(parent=self.ex.parent, parent_act=self.ex.parent_act) if self.live else None
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

    # -- the visitor ------------------------------------------------------------------------------
    def key(self, s):
        return self.x.key(s)

    def roots(self):
        for k, s in enumerate(self.m.init()):
            rep, fp = self.x.key(s)
            yield k, 0, None, fp, rep, self.x.state_info(rep)

    def begin_level(self, ex: Exploration) -> None:
        if self.pool is not None:
            index = ex.index
            self.batches = self.pool.expand(ex.frontier, ex.pos, lambda fp: fp in index)

    def expand(self, i: int, s):
        if self.batches is not None:
            got = next(self.batches)
            if isinstance(got, tuple) and got and got[0] == "interrupted":
                self.ex.stopped = got[1]
                raise Halt
            if isinstance(got, BaseException) or (isinstance(got, tuple) and got and got[0] == "error"):
                self.error = ModelError(got[1], self.rebuild(i), *got[2:]) if isinstance(got, tuple) else \
                    ModelError(f"{type(got).__name__}: {got}", self.rebuild(i))
                raise Halt
            succs, tviol, twit = got
        else:
            try:
                succs, tviol, twit = self.x.expand(s, self.ex.index.__contains__, lazy=True)
            except Interrupted as e:  # the state stays unexpanded (a resumed search expands it)
                self.ex.stopped = e.reason
                raise Halt from None
            except Exception as e:  # a bug in the model or a property
                self.error = model_error(e, self.rebuild(i), self.props)
                raise Halt from None
        # the transitions and the rejections by rule, counted here (``on_transition`` is not
        # called per successor)
        self.transitions += len(succs)
        rejections = self.rejections
        for succ in succs:
            rule = succ[2]
            if rule is not None:
                rejections[rule] = rejections.get(rule, 0) + 1
        violations = self.violations
        for name, act in tviol:
            if name not in violations:
                violations[name] = (i, act)
        for name, k in twit.items():
            self.witness_hits[name] += k
        return succs

    def records_transitions(self) -> bool:
        return False  # counted in ``expand``

    def records_edges(self) -> bool:
        return self.graph is not None

    def admit(self, parent: int, succ) -> bool:
        """Every new state is stored; the properties of a state the expander left lazy
        (``info`` ``None``: it was new when found) are evaluated here, once, for ``on_state``."""
        if succ[5] is None:
            try:
                self._info = self.x.state_info(succ[4])
            except Exception as e:  # a bug in a property: reported like one met while expanding
                self.error = model_error(e, self.rebuild(parent), self.props)
                raise Halt from None
        return True

    def on_state(self, i: int, parent: int, succ) -> None:
        if self.graph is not None:
            self.graph.add_state(parent, succ[0])
            self.dead.append(0)
        bad, wit, some = succ[5] if succ[5] is not None else self._info
        for name in bad:
            if name not in self.violations:
                self.violations[name] = (i, None)
        for name in wit:
            self.witness_hits[name] += 1
        for name in some:
            if name not in self.some_found:
                self.some_found[name] = i
                self.witness_hits[name] += 1

    def on_edge(self, i: int, j: int, succ) -> None:
        if self.graph is not None:
            self.graph.add_edge(i, j, succ[0], succ[1])

    def stop_level(self, ex: Exploration) -> str | None:
        c = self.c
        if c.max_depth is not None and ex.depth >= c.max_depth:
            return "max_depth"
        return None

    def stop_state(self, ex: Exploration) -> str | None:
        return self._limit(0)

    def _limit(self, new: int, tried: int = 0) -> str | None:
        """The limit reached, if any, with ``new`` states found beyond the stored ones and
        ``tried`` inputs taken in the state being expanded (asked before each state and, by
        the expander, inside a long expansion): a state with more inputs than ``max_states``
        is left unexpanded even when they lead to few states (polkadot's 2^100 bitfields of
        one validator lead to one state)."""
        c = self.c
        if c.time_limit is not None and time.perf_counter() - self.began > c.time_limit:
            return "time_limit"
        if c.max_states is not None and (len(self.ex) + new >= c.max_states or tried >= c.max_states):
            return "max_states"
        return None

    def after_state(self, ex: Exploration, i: int, accepted: bool) -> str | None:
        c = self.c
        if not accepted:
            self.deadlocks += 1
            if self.deadlock_idx is None:
                self.deadlock_idx = i
            if self.dead is not None:
                self.dead[i] = 1
        if c.progress is not None and (ex.pos & 255) == 0:
            c.progress(len(ex), ex.depth, time.perf_counter() - self.start)
        if stop_on_reached(c.stop_on, self.violations):
            return "violation"
        if c.checkpoint_dir is not None and (ex.pos & 255) == 0:
            self._maybe_save()
        return None

    def end_level(self, ex: Exploration) -> None:
        c = self.c
        self._maybe_save()
        if c.progress is not None and len(ex) >= self.next_progress:
            self.next_progress = len(ex) + c.progress_every
            c.progress(len(ex), ex.depth, time.perf_counter() - self.start)

    # -- checkpoints ---------------------------------------------------------------------------------
    def _identity(self) -> dict[str, Any]:
        """What a checkpoint must have been written by to be resumed here (the limits are
        not part of it: a resumed search runs with the new invocation's own)."""
        m = self.m
        return {"engine": "explicit", "machine": m.name, "preset": m.preset, "mutant": m.mutant_name,
                "parameters": m.parameter_values(), "config": repr(m.config),
                "properties": [p.qualified for p in self.props], "symmetry": self.c.symmetry}

    def _checkpoints(self):
        from .checkpoint import Checkpoints

        return Checkpoints(self.c.checkpoint_dir, self._identity(), self.m, self.x.key)

    def _maybe_save(self) -> None:
        c = self.c
        if c.checkpoint_dir is not None and time.perf_counter() - self.last_save >= c.checkpoint_every:
            self.save(time.perf_counter() - self.start)
            self.last_save = time.perf_counter()

    def save(self, elapsed: float) -> None:
        self.ckpt.save(self, elapsed)

    def load(self) -> bool:
        """Restore the search from its checkpoint; the stop reason it was saved with is
        dropped (this invocation decides when to stop), except a stop on violations this
        invocation asks for too."""
        if not self.ckpt.load(self):
            return False
        self.ex.stopped = "violation" if stop_on_reached(self.c.stop_on, self.violations) else None
        return True

    # -- trace reconstruction ----------------------------------------------------------------------
    def trace(self, idxs: list[int], loop: int | None = None, closing: int | None = None) -> Trace:
        """The concrete run through the states ``idxs`` (a path of the explored graph)."""
        m = self.m
        inits = list(m.init())
        fps = [self.ex.fps[i] for i in idxs]
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
            a = nth_action(m, state, act)
            state = m.step(state, a)
            actions.append(a)
            states.append(state)
        assert self.x.fp(state) == fps[-1], "trace replay diverged: actions() or step() is not deterministic"
        if closing is not None:
            actions.append(nth_action(m, state, closing))
        return Trace.of(m, tuple(states), tuple(actions), loop=loop)

    def _edge_act(self, u: int, v: int) -> int:
        if self.ex.parent[v] == u:
            return self.ex.parent_act[v]
        return self._lasso_acts[(u, v)]

    def rebuild(self, i: int) -> Trace:
        return self.trace(self.ex.path_to(i))

    # -- the search ----------------------------------------------------------------------------------
    def run(self) -> Result:
        c = self.c
        self.fresh()
        self.ckpt = self._checkpoints() if c.checkpoint_dir is not None else None
        if self.ckpt is not None:
            self.ckpt.prepare()
        if c.resume:
            if self.ckpt is None or not self.load():
                raise CheckpointMismatch(f"{c.checkpoint_dir}: no checkpoint to resume from")
        #: when this invocation began (its time limit counts from here) and, for the
        #: reported elapsed time, when the search began (earlier runs of it included)
        self.began = time.perf_counter()
        self.start = self.began - self.elapsed_before
        self.last_save = time.perf_counter()
        gc_was_enabled = gc.isenabled()
        gc.disable()  # the search allocates many small immutable objects and no cycles
        try:
            if c.workers > 1:
                from .parallel import Pool

                self.pool = Pool(c.workers, self.m, self.props, c.symmetry, time_limit=c.time_limit,
                                 max_states=c.max_states)
            self.next_progress = len(self.ex) + c.progress_every
            self.ex.run(self)
            elapsed = time.perf_counter() - self.start
            if c.checkpoint_dir is not None and self.error is None:
                self.save(elapsed)
            if c.progress is not None:
                c.progress(len(self.ex), self.ex.depth, elapsed)
            result = self._resumed_result(elapsed) if c.resume else self._result(elapsed)
        finally:
            if self.pool is not None:
                self.pool.close()
            if gc_was_enabled:
                gc.enable()
        return result

    def _resumed_result(self, elapsed: float) -> Result:
        """The result of a resumed search; the traces are rebuilt by replaying the checkpoint's
        parent pointers, so a checkpoint that does not match the model (written with a valid
        checksum by something else than this search) fails here: one line, not a traceback."""
        from .checkpoint import one_line

        try:
            return self._result(elapsed)
        except Exception as e:
            raise one_line(f"{self.ckpt.path}: the checkpoint does not match the model "
                           f"({type(e).__name__}: {e})") from None

    def _result(self, elapsed: float) -> Result:
        c = self.c
        m = self.m
        ex = self.ex
        complete = ex.stopped is None and self.error is None
        live = self._liveness(complete) if self.live else None
        props = property_results(self.props, self.witness_hits, complete, self.violations, self.some_found,
                                 self._violation_trace, self.rebuild, live, self.error)
        dl_trace = None
        if self.deadlock_idx is not None and m.deadlock_is_error:
            dl_trace = self.rebuild(self.deadlock_idx)
        return Result(
            machine=m.name, preset=m.preset, mutant=m.mutant_name,
            engine="bfs" + (f"x{c.workers}" if c.workers > 1 else "") + ("+symmetry" if self.x.canon else ""),
            states=len(ex), transitions=self.transitions, depth=ex.depth, complete=complete,
            stopped=ex.stopped, elapsed=elapsed, properties=props,
            rejections=dict(sorted(self.rejections.items())), deadlocks=self.deadlocks, deadlock_trace=dl_trace,
            error=self.error,
        )

    def _violation_trace(self, p: Property, where: tuple[int, int | None]) -> Trace:
        i, act = where
        tr = self.rebuild(i)
        if p.kind == Kind.TRANSITION:
            m = self.m
            s = tr.states[-1]
            a = nth_action(m, s, act)
            tr = tr.extend(a, m.try_step(s, a))
        return tr

    def _liveness(self, complete: bool) -> dict[str, PropertyResult]:
        import numpy as np

        from .liveness import check_leads_to

        out: dict[str, PropertyResult] = {}
        if not complete:
            for p in self.live:
                out[p.name] = PropertyResult(p, Verdict.NOT_CHECKED)
            return out
        g = self.graph
        flags = self._live_flags()
        inits = np.frombuffer(self.ex.parent, dtype=np.int64) == -1 if g.n else np.zeros(0, bool)
        dead = np.frombuffer(self.dead, dtype=np.uint8).astype(bool) if g.n else np.zeros(0, bool)
        self._lasso_acts: dict[tuple[int, int], int] = {}
        for p in self.live:
            found = None
            for trig_bits, goal_bits in flags[p.name]:
                goal = np.frombuffer(goal_bits, dtype=np.uint8).astype(bool) if g.n else np.zeros(0, bool)
                trig = inits if trig_bits is None else np.frombuffer(trig_bits, dtype=np.uint8).astype(bool)
                lasso = check_leads_to(g, trig, goal, len(self.x.fair), dead)
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

    def _live_flags(self) -> dict[str, list[tuple[bytearray | None, bytearray]]]:
        """Per liveness property, per key of its family: (trigger, goal) flags of every
        stored state (one byte each; the trigger of ``eventually`` is None: the initial
        states). The states are replayed along the parent tree, one level at a time in memory."""
        m = self.m
        jobs = []  # (property, args, trigger flags, goal flags)
        out: dict[str, list] = {}
        for p in self.live:
            out[p.name] = []
            for key in (list(p.over(m)) if p.over is not None else [None]):
                args = () if key is None else (key,)
                trig = None if p.kind == Kind.EVENTUALLY else bytearray()
                goal = bytearray()
                out[p.name].append((trig, goal))
                jobs.append((p, args, trig, goal))
        for s in self._states_in_order():
            for p, args, trig, goal in jobs:
                if trig is None:
                    goal.append(1 if p.predicate(m, s, *args) else 0)
                else:
                    trig.append(1 if p.predicate(m, s, *args) else 0)
                    goal.append(1 if p.goal(m, s, *args) else 0)
        return out

    def _lasso_trace(self, idxs: list[int], loop: int, closing: int | None) -> Trace:
        if self.x.canon is not None:
            cycle_fps = idxs
            return self.trace(cycle_fps, loop=loop)
        return self.trace(idxs, loop=loop, closing=closing)

    def _states_in_order(self):
        """Every stored state by index, replayed along the parent tree. Parents are
        nondecreasing in discovery order (breadth first), so only the states from the
        current one's parent on are kept (about one level), compressed (``StateList``)."""
        from .visited import StateList

        m = self.m
        ex = self.ex
        inits = list(m.init())
        window = StateList()  # the states by index; the chunks before the oldest parent still needed are dropped
        for i in range(len(ex)):
            p = ex.parent[i]
            if p == -1:
                s = self.x.key(inits[ex.parent_act[i]])[0]
            else:
                window.forget_before(p)
                ps = window[p][1]
                a = nth_action(m, ps, ex.parent_act[i])
                s = self.x.key(m.step(ps, a))[0]
            window.append((i, s))
            yield s
