"""The vectorized engine: breadth-first search on whole frontiers with numpy.

For machines that declare it (``vectorized = True``, a compact ``layout`` of at most
63 bits, a state-independent ``action_space()``, and ``guards``/``effect`` written
with the helpers of :mod:`model.logic`), a BFS level is computed as array
operations: the frontier is an ``int64`` array of state codes; it is unpacked into
the state class with numpy arrays in its fields, and for each action of the action
space the machine's own guard and effect methods run on the whole frontier at once
(the same methods the interpreter runs on one state). Successor codes are
deduplicated with ``numpy.unique`` and a visited table; properties marked
``@vectorized`` are evaluated on the batches the same way.

A guard whose rule is ``None`` is not a protocol rule but the search's choice of inputs
(a machine whose ``actions`` depend on the state, such as ``availability``, states them
that way over its fixed ``action_space``): an input it excludes is neither tried nor
counted, so the transition and rejection counts are the explicit engine's. Transition
properties see the rejected inputs too (with a ``Rejected`` value as the next state).

Parent pointers (the index of the parent in its level and the action index) are
kept per level as arrays, so traces are rebuilt by replaying the machine's ``step``
from the initial state, exactly as the explicit engine does; memory per state is
about 14 bytes plus the visited table. With symmetry, codes are those of the orbit
representatives (``checker.symmetry``), and traces are lifted to concrete runs.

Liveness properties are decided by :mod:`checker.liveness` on the graph recorded
during the search (the engine then keeps every accepted edge).
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import numpy as np

from paraspec.model.core import Rejected
from paraspec.properties.core import Kind

from .results import ModelError, PropertyResult, Result, Verdict, property_results, stop_on_reached
from .packing import layout_of
from .trace import Trace

__all__ = ["unsupported", "run_vector"]

#: what a transition property sees as the next state of an input a guard rejected, by rule: the
#: explicit engine passes the Rejected value the step returned (``inclusion``'s INC-9 property asks
#: which rule rejected a block)
_REJECTED_BY: dict[str, Rejected] = {}


def _rejected(rule: str) -> Rejected:
    """The Rejected value a transition property sees for an input the guard of ``rule`` refused."""
    got = _REJECTED_BY.get(rule)
    if got is None:
        got = _REJECTED_BY[rule] = Rejected(rule, "rejected by a guard")
    return got


#: visited table as a dense byte array when the code space is at most this many bits
DENSE_BITS = 30


def unsupported(checker) -> str | None:
    m = checker.machine
    if not m.vectorized:
        return f"machine {m.name!r} does not declare vectorized rules"
    lay = layout_of(m)
    if lay is None:
        return f"machine {m.name!r} declares no compact layout"
    if checker.workers > 1:
        return "parallel workers run the explicit engine"
    if checker.checkpoint_dir is not None:
        return "checkpoints are kept by the explicit engine"
    for p in checker.properties:
        if not p.vectorized:
            return f"property {p.name} is not marked @vectorized"
    if checker.symmetry and m.symmetry is not None:
        if m.symmetry.n_validators > 62:
            return "symmetry over more than 62 validators (int64 masks)"
        from .symmetry import Canonicalizer

        bits = Canonicalizer(m).code_bits
        if bits > 63:
            return f"orbit codes of {m.name!r} need {bits} bits (more than 63)"
        return None
    if not lay.fits_int64:
        return f"the layout of {m.name!r} needs {lay.bits} bits (more than 63)"
    return None


def _take(lay, S, idx):
    """The states of a batch at positions ``idx``."""
    return lay.map(S, lambda x: x[idx])


def _broadcast(lay, T, size):
    """A batch whose every stored value is an int64 array of ``size`` (an effect may leave
    a value scalar, the same for every state)."""
    return lay.map(T, lambda x: np.broadcast_to(np.asarray(x, dtype=np.int64), (size,)))


def _mask(x, size) -> np.ndarray:
    return np.broadcast_to(np.asarray(x, dtype=bool), (size,))


class _Visited:
    """The set of codes seen: a dense byte table for small code spaces, else a hash set."""

    def __init__(self, bits: int):
        self.dense = bits <= DENSE_BITS
        if self.dense:
            self.table = np.zeros(1 << bits, dtype=np.uint8)
        else:
            self.seen: set[int] = set()
        self.count = 0

    def unseen(self, codes: np.ndarray) -> np.ndarray:
        """Indices of the codes not seen yet (possibly repeated)."""
        if self.dense:
            return np.nonzero(self.table[codes] == 0)[0]
        seen = self.seen
        return np.nonzero(np.fromiter((c not in seen for c in codes.tolist()), dtype=bool, count=len(codes)))[0]

    def mark(self, uniq: np.ndarray) -> None:
        """Mark unique, unseen codes as seen."""
        if self.dense:
            self.table[uniq] = 1
        else:
            self.seen.update(uniq.tolist())
        self.count += len(uniq)

    def new(self, codes: np.ndarray) -> np.ndarray:
        """A boolean mask of the codes (unique) not seen yet; marks them seen."""
        if self.dense:
            fresh = self.table[codes] == 0
            self.table[codes[fresh]] = 1
        else:
            seen = self.seen
            fresh = np.fromiter((c not in seen for c in codes.tolist()), dtype=bool, count=len(codes))
            seen.update(codes[fresh].tolist())
        self.count += int(fresh.sum())
        return fresh


def _first_occurrences(codes: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes (sorted) and the index of each one's first occurrence.

    Sorts ``code << p | position`` (one int64 sort, cheaper than the stable argsort of
    ``numpy.unique(return_index=True)``) when code and position bits fit in 63 bits."""
    n = len(codes)
    pbits = max(1, n.bit_length())
    if bits + pbits > 63:
        return np.unique(codes, return_index=True)
    key = (codes << pbits) | np.arange(n, dtype=np.int64)
    key.sort()
    c = key >> pbits
    head = np.ones(n, dtype=bool)
    head[1:] = c[1:] != c[:-1]
    return c[head], key[head] & ((1 << pbits) - 1)


def run_vector(checker) -> Result:
    return _VectorSearch(checker).run()


class _VectorSearch:
    """One breadth-first search on whole levels. Its level structure is that of the
    exploration core (``checker.explore``: frontier, next level, depth, parent pointers
    per level) but a level is expanded as array operations, action by action over the
    whole frontier, not state by state; the stop rules and the verdicts are the shared
    ones of ``checker.results``."""

    def __init__(self, checker):
        m = checker.machine
        self.c = checker
        self.m = m
        self.props = props = checker.properties
        self.lay = lay = layout_of(m)
        self.names = [f.name for f in lay.fields]
        self.acts = acts = tuple(m.action_space())
        self.live = [p for p in props if p.kind in (Kind.EVENTUALLY, Kind.LEADS_TO)]
        self.canon = None
        if checker.symmetry:
            from .symmetry import canonicalizer_for

            # the keys of a liveness family are paras: keep them fixed then
            self.canon = canonicalizer_for(m, fix_paras=any(p.over is not None for p in self.live))
        self.fair = fair = tuple(m.fairness)
        self.labels = [sum(1 << fi for fi, f in enumerate(fair) if isinstance(a, f)) for a in acts]
        #: liveness: the edges of the level being expanded (per action: source index in the
        #: level, target code), until the next level is known; then they join ``graph``, whose
        #: targets are state indices (see :meth:`record_level`)
        self.pending: list[tuple[np.ndarray, np.ndarray, int]] = []
        self.dead_levels: list[np.ndarray] = []
        self.graph = None
        if self.live:
            from array import array

            from .liveness import Graph

            self.graph = Graph(act=array("H" if len(acts) < (1 << 16) else "i"))
            #: every stored code, sorted, and its state index (targets of edges to indices)
            self.sorted_codes = np.zeros(0, dtype=np.int64)
            self.sorted_index = np.zeros(0, dtype=np.int32)
        self.invariants = [p for p in props if p.kind == Kind.ALWAYS]
        self.somes = [p for p in props if p.kind == Kind.SOMETIMES]
        trans = [p for p in props if p.kind == Kind.TRANSITION]
        self.trans_for = {ai: [p for p in trans if not p.on or isinstance(a, p.on)] for ai, a in enumerate(acts)}
        self.hits = {p.name: 0 for p in props}
        #: name -> (level, index in level, action index or None)
        self.violations: dict[str, tuple[int, int, int | None]] = {}
        self.some_found: dict[str, tuple[int, int]] = {}
        self.rejections: dict[str, int] = {}
        self.transitions = 0
        self.deadlocks = 0
        self.deadlock_at: tuple[int, int] | None = None
        self.stopped: str | None = None
        self.error: ModelError | None = None
        self.bits = self.canon.code_bits if self.canon is not None else lay.bits
        self.visited = _Visited(self.bits)
        #: per level: codes, parent index in the previous level, action index
        self.levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def encode(self, S):
        return self.canon.batch_codes(S) if self.canon is not None else self.lay.pack(S)

    def decode(self, codes):
        return self.canon.batch_decode(codes) if self.canon is not None else self.lay.unpack(codes)

    def code_of(self, s) -> int:
        return self.canon.canonical(s)[1] if self.canon is not None else self.lay.code(s)

    # -- recording -------------------------------------------------------------------------------
    def check_states(self, level: int, S, size: int) -> None:
        m, hits, violations, some_found = self.m, self.hits, self.violations, self.some_found
        for p in self.invariants:
            if p.name not in violations:
                ok = _mask(p.predicate(m, S), size)
                if not ok.all():
                    violations[p.name] = (level, int(np.argmin(ok)), None)
            if p.witness is not None:
                hits[p.name] += int(_mask(p.witness(m, S), size).sum())
        for p in self.somes:
            got = _mask(p.predicate(m, S), size)
            if p.name not in some_found and got.any():
                some_found[p.name] = (level, int(np.argmax(got)))
            hits[p.name] += int(got.sum()) if p.name in some_found else 0

    def check_transitions(self, depth: int, ai: int, idx, Ssub, T) -> None:
        m, a, n = self.m, self.acts[ai], len(idx)
        for p in self.trans_for[ai]:
            if p.witness is not None:
                self.hits[p.name] += int(_mask(p.witness(m, Ssub, a, T), n).sum())
            if p.name not in self.violations:
                good = _mask(p.predicate(m, Ssub, a, T), n)
                if not good.all():
                    self.violations[p.name] = (depth, int(idx[np.argmin(good)]), ai)

    def fits(self, T, size) -> None:
        lay = self.lay
        if not size:
            return
        for name, bits, _, x in lay.leaves(T):
            if int(np.max(x)) >= (1 << bits) or int(np.min(x)) < 0:
                raise ValueError(f"field {name} does not fit in {bits} bits (layout of "
                                 f"{lay.state_class.__name__})")

    # -- the search ----------------------------------------------------------------------------------
    def roots(self) -> np.ndarray:
        self.inits = list(self.m.init())
        codes0 = []
        for s in self.inits:
            self.lay.check(s)
            codes0.append(self.code_of(s))
        codes0 = np.array(codes0, dtype=np.int64)
        _, first = np.unique(codes0, return_index=True)
        order = np.sort(first)
        F = codes0[order]
        self.visited.new(F)
        self.levels.append((F, np.full(len(F), -1, dtype=np.int64), order.astype(np.int32)))
        if self.live:
            self.index_codes(F)
        self.check_states(0, self.decode(F), len(F))
        return F

    # -- the liveness graph ----------------------------------------------------------------------
    def index_codes(self, F: np.ndarray) -> None:
        """Enter a new level's codes (state indices from the current count on) in the sorted index."""
        base = len(self.sorted_codes)
        order = np.argsort(F, kind="stable")
        new = F[order]
        at = np.searchsorted(self.sorted_codes, new)
        self.sorted_codes = np.insert(self.sorted_codes, at, new)
        self.sorted_index = np.insert(self.sorted_index, at, (order + base).astype(np.int32))

    def record_level(self, depth: int) -> None:
        """Add the edges of the level just expanded to the graph, in source order, with their
        targets as state indices (every target is stored by now)."""
        g = self.graph
        size = len(self.levels[depth][0])
        idx = np.concatenate([e[0] for e in self.pending]) if self.pending else np.zeros(0, np.int32)
        act = np.concatenate([np.full(len(e[0]), e[2], dtype=np.int32) for e in self.pending]) if self.pending \
            else np.zeros(0, np.int32)
        order = np.argsort(idx, kind="stable")
        idx, act = idx[order], act[order]
        tcodes = np.concatenate([e[1] for e in self.pending])[order] if self.pending else np.zeros(0, np.int64)
        self.pending.clear()
        del order
        dst = self.sorted_index[np.searchsorted(self.sorted_codes, tcodes)]
        del tcodes
        label = np.asarray(self.labels, dtype=np.uint8)[act] if len(act) else np.zeros(0, np.uint8)
        first = np.zeros(size, dtype=np.int64)
        np.cumsum(np.bincount(idx, minlength=size)[:-1], out=first[1:])
        g.off.frombytes((first + len(g.dst)).tobytes())
        enabled = np.zeros(size, dtype=np.uint8)
        for f in range(len(self.fair)):
            enabled[idx[(label >> f) & 1 == 1]] |= np.uint8(1 << f)
        g.enabled.frombytes(enabled.tobytes())
        g.dst.frombytes(dst.astype(np.int32).tobytes())
        g.act.frombytes(act.astype(np.dtype(g.act.typecode)).tobytes())
        g.label.frombytes(label.tobytes())
        g.n += size

    def expand_action(self, depth: int, S, size: int, ai: int, any_ok):
        """The accepted successors of the frontier ``S`` by action ``ai``: (parent indices, codes)."""
        m, a = self.m, self.acts[ai]
        ok = np.ones(size, dtype=bool)
        if self.canon is not None:
            # skip actions naming a validator/core interchangeable with the previous one
            ok &= ~_mask(self.canon.redundant(S, a), size)
        guards = m.guards(S, a)
        for cond, rule, _ in guards:
            if rule is None:  # not an input the search tries in this state (an exploration bound)
                ok &= _mask(cond, size)
        self.transitions += int(ok.sum())
        tried = ok.copy() if self.trans_for[ai] else None
        refused = []  # (rule, the rows it rejects first)
        for cond, rule, _ in guards:
            if rule is not None:
                cond = _mask(cond, size)
                fail = ok & ~cond
                failed = int(fail.sum())
                if failed:
                    self.rejections[rule] = self.rejections.get(rule, 0) + failed
                    if tried is not None:
                        refused.append((rule, np.nonzero(fail)[0]))
                ok &= cond
        for rule, bad in refused:
            # the transition properties see the rejected inputs too, as the explicit engine's do (with
            # the rule that rejected each)
            self.check_transitions(depth, ai, bad, _take(self.lay, S, bad), _rejected(rule))
        idx = np.nonzero(ok)[0]
        if len(idx) == 0:
            return None
        Ssub = S if len(idx) == size else _take(self.lay, S, idx)
        T = _broadcast(self.lay, m.effect(Ssub, a), len(idx))
        self.fits(T, len(idx))
        self.check_transitions(depth, ai, idx, Ssub, T)
        any_ok[idx] = True
        tcodes = self.encode(T)
        if self.live:
            self.pending.append((idx.astype(np.int32), tcodes, ai))
        return idx, tcodes

    def level(self, depth: int, F):
        """Expand the frontier ``F``: (codes, parents, actions) of every accepted successor, or None."""
        size = len(F)
        S = self.decode(F)
        any_ok = np.zeros(size, dtype=bool)
        out_codes, out_parent, out_act = [], [], []
        for ai in range(len(self.acts)):
            got = self.expand_action(depth, S, size, ai, any_ok)
            if got is not None:
                out_parent.append(got[0])
                out_codes.append(got[1])
                out_act.append(np.full(len(got[0]), ai, dtype=np.int32))
        dead = ~any_ok
        if self.live:
            self.dead_levels.append(dead)
        if dead.any():
            self.deadlocks += int(dead.sum())
            if self.deadlock_at is None:
                self.deadlock_at = (depth, int(np.argmax(dead)))
        if not out_codes:
            return None
        return np.concatenate(out_codes), np.concatenate(out_parent), np.concatenate(out_act)

    def next_frontier(self, codes, parent, act):
        """The successors not seen before, in generation order (action-major, then parent)."""
        assert codes.max() < (1 << self.bits)
        # drop the successors seen at earlier levels first (one gather), then dedup the rest
        visited = self.visited
        cand = visited.unseen(codes)
        uniq, first = _first_occurrences(codes[cand], self.bits)
        visited.mark(uniq)
        keep = np.sort(cand[first])
        max_states = self.c.max_states
        if max_states is not None and visited.count > max_states:
            keep = keep[: max(0, len(keep) - (visited.count - max_states))]
            self.stopped = "max_states"
        return codes[keep], parent[keep], act[keep]

    def stop_level(self, depth: int) -> str | None:
        c = self.c
        if c.max_depth is not None and depth >= c.max_depth:
            return "max_depth"
        if c.time_limit is not None and time.perf_counter() - self.start > c.time_limit:
            return "time_limit"
        return None

    def explore(self) -> None:
        c = self.c
        F = self.roots()
        depth = 0
        while len(F) and not stop_on_reached(c.stop_on, self.violations):
            self.stopped = self.stop_level(depth)
            if self.stopped is not None:
                break
            succ = self.level(depth, F)
            if stop_on_reached(c.stop_on, self.violations):
                self.stopped = "violation"
                break
            if succ is None:
                self.record(depth, None)
                break
            F, parent, act = self.next_frontier(*succ)
            self.record(depth, F if len(F) else None)
            if len(F) == 0:
                break
            depth += 1
            self.levels.append((F, parent, act))
            self.check_states(depth, self.decode(F), len(F))
            if c.progress is not None:
                c.progress(self.n_states(), depth, time.perf_counter() - self.start)
            if self.stopped is not None:
                break
        if stop_on_reached(c.stop_on, self.violations) and self.stopped is None:
            self.stopped = "violation"

    def record(self, depth: int, F: np.ndarray | None) -> None:
        """Liveness: the level ``depth`` was expanded and ``F`` (if any) is the next one."""
        if not self.live:
            return
        if self.stopped is not None:  # no liveness verdict on a partial search: keep no graph
            self.pending.clear()
            return
        if F is not None:
            self.index_codes(F)
        self.record_level(depth)

    def n_states(self) -> int:
        return sum(len(lv[0]) for lv in self.levels)

    def run(self) -> Result:
        self.start = time.perf_counter()
        try:
            self.explore()
        except Exception as e:  # a bug in the model or a property: rerun on the explicit engine for its trace
            self.error = ModelError(f"{type(e).__name__}: {e}", None, traceback.format_exc(limit=6))
        elapsed = time.perf_counter() - self.start
        if self.c.progress is not None:
            self.c.progress(self.n_states(), len(self.levels) - 1, elapsed)
        return self.result(elapsed)

    # -- traces and the result -------------------------------------------------------------------------
    def rebuild(self, where: tuple[int, int]) -> Trace:
        level, i = where
        m = self.m
        path = []
        for lv in range(level, -1, -1):
            codes, parent, act = self.levels[lv]
            path.append((int(codes[i]), int(act[i])))
            i = int(parent[i])
        path.reverse()
        if self.canon is not None:
            from .symmetry import lift_path

            states, actions = lift_path(m, lambda s: self.canon.canonical(s)[1], self.inits, [c for c, _ in path])
            return Trace.of(m, tuple(states), tuple(actions))
        state = self.inits[path[0][1]]
        states, actions = [state], []
        for code, ai in path[1:]:
            a = self.acts[ai]
            state = m.step(state, a)
            actions.append(a)
            states.append(state)
        assert self.lay.code(state) == path[-1][0], "trace replay diverged from the vectorized search"
        return Trace.of(m, tuple(states), tuple(actions))

    def violation_trace(self, p, where: tuple[int, int, int | None]) -> Trace:
        level, i, ai = where
        tr = self.rebuild((level, i))
        if ai is not None:
            m = self.m
            s = tr.states[-1]
            a = self.acts[ai] if self.canon is None else _matching_action(m, s, self.acts[ai], p)
            tr = tr.extend(a, m.try_step(s, a))
        return tr

    def liveness(self) -> dict[str, PropertyResult]:
        traces = _liveness(self, self.graph)
        return {p.name: PropertyResult(p, Verdict.HOLDS if traces[p.name] is None else Verdict.VIOLATED,
                                       traces[p.name]) for p in self.live}

    def result(self, elapsed: float) -> Result:
        m = self.m
        complete = self.stopped is None and self.error is None
        live = self.liveness() if self.live and complete else None
        props = property_results(self.props, self.hits, complete, self.violations, self.some_found,
                                 self.violation_trace, self.rebuild, live)
        dl_trace = None
        if self.deadlock_at is not None and m.deadlock_is_error:
            dl_trace = self.rebuild(self.deadlock_at)
        return Result(
            machine=m.name, preset=m.preset, mutant=m.mutant_name,
            engine="vector" + ("+symmetry" if self.canon is not None else ""), states=self.n_states(),
            transitions=self.transitions, depth=max(0, len(self.levels) - 1), complete=complete,
            stopped=self.stopped, elapsed=elapsed, properties=props,
            rejections=dict(sorted(self.rejections.items())), deadlocks=self.deadlocks, deadlock_trace=dl_trace,
            error=self.error,
        )


#: states decoded at a time to evaluate the liveness predicates
CHUNK = 1 << 16


def _flags(search, fn) -> np.ndarray:
    """``fn(S)`` (a predicate on a batch of states) on every stored state, level by level in
    chunks (never every state decoded at once): a boolean array by state index."""
    parts = []
    for codes, _, _ in search.levels:
        for k in range(0, len(codes), CHUNK):
            part = codes[k:k + CHUNK]
            parts.append(np.broadcast_to(np.asarray(fn(search.decode(part)), bool), (len(part),)).copy())
    return np.concatenate(parts)


def _liveness(search, g) -> dict:
    """Decide the liveness properties on the recorded graph (``checker.liveness``)."""
    from .liveness import check_leads_to

    m, levels, acts, inits, canon = search.m, search.levels, search.acts, search.inits, search.canon
    offsets = np.cumsum([0] + [len(lv[0]) for lv in levels])
    g.parent = np.concatenate([np.where(lv[1] < 0, -1, lv[1] + (offsets[k - 1] if k else 0))
                               for k, lv in enumerate(levels)]).astype(np.int32)
    g.parent_act = np.concatenate([lv[2] for lv in levels]).astype(np.int32)
    n = g.n
    dead = np.concatenate(search.dead_levels) if search.dead_levels else np.zeros(0, bool)
    is_init = g.parent == -1

    def code_at(i: int) -> int:
        k = int(np.searchsorted(offsets, i, side="right")) - 1
        return int(levels[k][0][i - offsets[k]])

    out: dict[str, Any] = {}
    for p in search.live:
        keys = list(p.over(m)) if p.over is not None else [None]
        found = None
        for key in keys:
            args = () if key is None else (key,)
            goal_fn = p.predicate if p.kind == Kind.EVENTUALLY else p.goal
            trig = is_init if p.kind == Kind.EVENTUALLY else _flags(search, lambda S: p.predicate(m, S, *args))
            goal = _flags(search, lambda S: goal_fn(m, S, *args))
            assert len(goal) == n
            found = check_leads_to(g, trig, goal, len(search.fair), dead)
            del trig, goal
            if found is not None:
                break
        if found is None:
            out[p.name] = None
            continue
        path = list(found.states)
        if canon is not None:
            from .symmetry import lift_path

            states, actions, loop = lift_path(m, lambda s: canon.canonical(s)[1], inits,
                                              [code_at(i) for i in path], found.loop)
            out[p.name] = Trace.of(m, tuple(states), tuple(actions), loop=loop)
            continue
        state = inits[int(g.parent_act[path[0]])]
        states, actions = [state], []
        for k in range(1, len(path)):
            a = acts[found.acts[k - 1]]
            state = m.step(state, a)
            actions.append(a)
            states.append(state)
        if found.acts[-1] is not None:
            actions.append(acts[found.acts[-1]])
        out[p.name] = Trace.of(m, tuple(states), tuple(actions), loop=found.loop)
    return out


def _matching_action(m, s, a_rep, prop):
    """Under symmetry the violating transition was found on the orbit representative;
    on the concrete state ``s`` (in the same orbit) the permuted action violates the
    (symmetric) property too: take the first action of the same kind that does."""
    for a in m.actions(s):
        if type(a) is not type(a_rep):
            continue
        try:
            t = m.step(s, a)
        except Rejected:
            continue
        if not prop.predicate(m, s, a, t):
            return a
    raise AssertionError("symmetry lifting failed: no concrete transition violates " + prop.name)
