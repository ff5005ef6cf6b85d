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

from .results import ModelError, PropertyResult, Result, Verdict
from .packing import layout_of
from .trace import Trace

__all__ = ["unsupported", "run_vector"]

#: visited table as a dense byte array when the code space is at most this many bits
DENSE_BITS = 30


def unsupported(checker) -> str | None:
    m = checker.machine
    if not getattr(m, "vectorized", False):
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
    if checker.symmetry and getattr(m, "symmetry", None) is not None:
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


def _take(S, idx, names):
    cls = type(S)
    vals = {}
    for n in names:
        v = getattr(S, n)
        vals[n] = tuple(x[idx] for x in v) if isinstance(v, tuple) else v[idx]
    return cls(**vals)


def _broadcast(T, size, names):
    cls = type(T)
    vals = {}
    for n in names:
        v = getattr(T, n)
        if isinstance(v, tuple):
            vals[n] = tuple(np.broadcast_to(np.asarray(x, dtype=np.int64), (size,)) for x in v)
        else:
            vals[n] = np.broadcast_to(np.asarray(v, dtype=np.int64), (size,))
    return cls(**vals)


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
    m = checker.machine
    props = checker.properties
    lay = layout_of(m)
    names = [f.name for f in lay.fields]
    acts = tuple(m.action_space())
    canon = None
    if checker.symmetry:
        from .symmetry import canonicalizer_for

        canon = canonicalizer_for(m)

    def encode(S):
        return canon.batch_codes(S) if canon is not None else lay.pack(S)

    def decode(codes):
        return canon.batch_decode(codes) if canon is not None else lay.unpack(codes)

    live = [p for p in props if p.kind in (Kind.EVENTUALLY, Kind.LEADS_TO)]
    if live and canon is not None and any(p.over is not None for p in live):
        from .symmetry import canonicalizer_for

        canon = canonicalizer_for(m, fix_paras=True)  # keys of a liveness family are paras
    fair = tuple(getattr(m, "fairness", ()) or ())
    labels = []
    for a in acts:
        lb = 0
        for fi, f in enumerate(fair):
            if isinstance(a, f):
                lb |= 1 << fi
        labels.append(lb)
    #: recorded edges (liveness): per level and action, source index in the level, target code
    edges: list[tuple[int, np.ndarray, np.ndarray, int]] = []
    dead_levels: list[np.ndarray] = []
    invariants = [p for p in props if p.kind == Kind.ALWAYS]
    trans = [p for p in props if p.kind == Kind.TRANSITION]
    somes = [p for p in props if p.kind == Kind.SOMETIMES]
    trans_for = {ai: [p for p in trans if not p.on or isinstance(a, p.on)] for ai, a in enumerate(acts)}
    hits = {p.name: 0 for p in props}
    #: name -> (level, index in level, action index or None)
    violations: dict[str, tuple[int, int, int | None]] = {}
    some_found: dict[str, tuple[int, int]] = {}
    rejections: dict[str, int] = {}
    transitions = 0
    deadlocks = 0
    deadlock_at: tuple[int, int] | None = None
    stopped = None
    error = None
    start = time.perf_counter()

    bits = canon.code_bits if canon is not None else lay.bits
    limit = 1 << bits
    visited = _Visited(bits)
    #: per level: codes, parent index in the previous level, action index
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def check_states(level: int, S, size: int) -> None:
        for p in invariants:
            if p.name not in violations:
                ok = _mask(p.predicate(m, S), size)
                if not ok.all():
                    violations[p.name] = (level, int(np.argmin(ok)), None)
            if p.witness is not None:
                hits[p.name] += int(_mask(p.witness(m, S), size).sum())
        for p in somes:
            got = _mask(p.predicate(m, S), size)
            if p.name not in some_found and got.any():
                some_found[p.name] = (level, int(np.argmax(got)))
            hits[p.name] += int(got.sum()) if p.name in some_found else 0

    def stop_now() -> bool:
        so = checker.stop_on
        return bool(so) and bool(violations) and (so is True or (not isinstance(so, bool) and so <= violations.keys()))

    def fits(T, size) -> None:
        for f in lay.fields:
            v = getattr(T, f.name)
            for x in (v if isinstance(v, tuple) else (v,)):
                if size and (int(np.max(x)) >= (1 << f.bits) or int(np.min(x)) < 0):
                    raise ValueError(f"field {f.name} does not fit in {f.bits} bits (layout of "
                                     f"{lay.state_class.__name__})")

    try:
        inits = list(m.init())
        codes0 = []
        for s in inits:
            lay.check(s)
            codes0.append(canon.canonical(s)[1] if canon is not None else lay.code(s))
        codes0 = np.array(codes0, dtype=np.int64)
        uniq, first = np.unique(codes0, return_index=True)
        order = np.sort(first)
        F = codes0[order]
        visited.new(F)
        levels.append((F, np.full(len(F), -1, dtype=np.int64), order.astype(np.int32)))
        check_states(0, decode(F), len(F))
        depth = 0
        while len(F) and not stop_now():
            if checker.max_depth is not None and depth >= checker.max_depth:
                stopped = "max_depth"
                break
            if checker.time_limit is not None and time.perf_counter() - start > checker.time_limit:
                stopped = "time_limit"
                break
            size = len(F)
            S = decode(F)
            any_ok = np.zeros(size, dtype=bool)
            out_codes, out_parent, out_act = [], [], []
            for ai, a in enumerate(acts):
                ok = np.ones(size, dtype=bool)
                if canon is not None:
                    # skip actions naming a validator/core interchangeable with the previous one
                    ok &= ~_mask(canon.redundant(S, a), size)
                transitions += int(ok.sum())
                for cond, rule, _ in m.guards(S, a):
                    cond = _mask(cond, size)
                    failed = int((ok & ~cond).sum())
                    if failed:
                        rejections[rule] = rejections.get(rule, 0) + failed
                    ok &= cond
                idx = np.nonzero(ok)[0]
                if len(idx) == 0:
                    continue
                Ssub = S if len(idx) == size else _take(S, idx, names)
                T = _broadcast(m.effect(Ssub, a), len(idx), names)
                fits(T, len(idx))
                for p in trans_for[ai]:
                    if p.witness is not None:
                        hits[p.name] += int(_mask(p.witness(m, Ssub, a, T), len(idx)).sum())
                    if p.name not in violations:
                        good = _mask(p.predicate(m, Ssub, a, T), len(idx))
                        if not good.all():
                            violations[p.name] = (depth, int(idx[np.argmin(good)]), ai)
                any_ok[idx] = True
                tcodes = encode(T)
                if live:
                    edges.append((depth, idx, tcodes, ai))
                out_codes.append(tcodes)
                out_parent.append(idx)
                out_act.append(np.full(len(idx), ai, dtype=np.int32))
            dead = ~any_ok
            if live:
                dead_levels.append(dead)
            if dead.any():
                deadlocks += int(dead.sum())
                if deadlock_at is None:
                    deadlock_at = (depth, int(np.argmax(dead)))
            if stop_now():
                stopped = "violation"
                break
            if not out_codes:
                break
            codes = np.concatenate(out_codes)
            parent = np.concatenate(out_parent)
            act = np.concatenate(out_act)
            assert codes.max() < limit
            # drop the successors seen at earlier levels first (one gather), then dedup the rest
            cand = visited.unseen(codes)
            uniq, first = _first_occurrences(codes[cand], bits)
            visited.mark(uniq)
            keep = np.sort(cand[first])  # in generation order: action-major, then parent
            if checker.max_states is not None and visited.count > checker.max_states:
                keep = keep[: max(0, len(keep) - (visited.count - checker.max_states))]
                stopped = "max_states"
            F = codes[keep]
            if len(F) == 0:
                break
            depth += 1
            levels.append((F, parent[keep], act[keep]))
            check_states(depth, decode(F), len(F))
            if checker.progress is not None:
                checker.progress(sum(len(lv[0]) for lv in levels), depth, time.perf_counter() - start)
            if stopped is not None:
                break
        if stop_now() and stopped is None:
            stopped = "violation"
    except Exception as e:  # a bug in the model or a property: rerun on the explicit engine for its trace
        error = ModelError(f"{type(e).__name__}: {e}", None, traceback.format_exc(limit=6))
    elapsed = time.perf_counter() - start
    n_states = sum(len(lv[0]) for lv in levels)
    if checker.progress is not None:
        checker.progress(n_states, len(levels) - 1, elapsed)

    def rebuild(level: int, i: int) -> Trace:
        path = []
        for lv in range(level, -1, -1):
            codes, parent, act = levels[lv]
            path.append((int(codes[i]), int(act[i])))
            i = int(parent[i])
        path.reverse()
        if canon is not None:
            from .symmetry import lift_path

            states, actions = lift_path(m, lambda s: canon.canonical(s)[1], inits, [c for c, _ in path])
            return Trace.of(m, tuple(states), tuple(actions))
        state = inits[path[0][1]]
        states, actions = [state], []
        for code, ai in path[1:]:
            a = acts[ai]
            state = m.step(state, a)
            actions.append(a)
            states.append(state)
        assert lay.code(state) == path[-1][0], "trace replay diverged from the vectorized search"
        return Trace.of(m, tuple(states), tuple(actions))

    complete = stopped is None and error is None
    lasso_traces: dict[str, Any] = {}
    if live and complete:
        lasso_traces = _liveness(m, live, levels, edges, dead_levels, labels, fair, lay, acts, inits, canon)
    results = []
    for p in props:
        if p.name in violations:
            level, i, ai = violations[p.name]
            tr = rebuild(level, i)
            if ai is not None:
                s = tr.states[-1]
                a = acts[ai] if canon is None else _matching_action(m, s, acts[ai], p)
                try:
                    t = m.step(s, a)
                except Rejected as r:
                    t = r
                tr = tr.extend(a, t)
            results.append(PropertyResult(p, Verdict.VIOLATED, tr, hits[p.name]))
        elif p.kind in (Kind.ALWAYS, Kind.TRANSITION):
            if p.witness is not None and hits[p.name] == 0 and complete:
                results.append(PropertyResult(p, Verdict.VACUOUS, None, 0))
            else:
                results.append(PropertyResult(p, Verdict.HOLDS, None, hits[p.name]))
        elif p.kind == Kind.SOMETIMES:
            if p.name in some_found:
                results.append(PropertyResult(p, Verdict.WITNESSED, rebuild(*some_found[p.name]), hits[p.name]))
            else:
                results.append(PropertyResult(p, Verdict.UNWITNESSED, None, 0))
        elif p.name in lasso_traces:
            tr = lasso_traces[p.name]
            results.append(PropertyResult(p, Verdict.HOLDS if tr is None else Verdict.VIOLATED, tr))
        else:
            results.append(PropertyResult(p, Verdict.NOT_CHECKED))
    dl_trace = None
    if deadlock_at is not None and m.deadlock_is_error:
        dl_trace = rebuild(*deadlock_at)
    return Result(
        machine=m.name, preset=m.config.name, mutant=m.mutant_name,
        engine="vector" + ("+symmetry" if canon is not None else ""), states=n_states, transitions=transitions,
        depth=max(0, len(levels) - 1), complete=complete, stopped=stopped, elapsed=elapsed,
        properties=tuple(results), rejections=dict(sorted(rejections.items())), deadlocks=deadlocks,
        deadlock_trace=dl_trace, error=error,
    )


def _liveness(m, live, levels, edges, dead_levels, labels, fair, lay, acts, inits, canon) -> dict:
    """Decide the liveness properties on the recorded graph (``checker.liveness``)."""
    from array import array

    from .liveness import Graph, check_leads_to

    offsets = np.cumsum([0] + [len(lv[0]) for lv in levels])
    n = int(offsets[-1])
    codes = np.concatenate([lv[0] for lv in levels])
    order = np.argsort(codes, kind="stable")
    scodes = codes[order]

    def index_of(cs: np.ndarray) -> np.ndarray:
        return order[np.searchsorted(scodes, cs)]

    parent = np.concatenate([np.where(lv[1] < 0, -1, lv[1] + (offsets[k - 1] if k else 0))
                             for k, lv in enumerate(levels)]).astype(np.int64)
    parent_act = np.concatenate([lv[2] for lv in levels]).astype(np.int32)
    src = np.concatenate([idx + offsets[d] for d, idx, _, _ in edges]).astype(np.int64) if edges else \
        np.zeros(0, np.int64)
    dst = np.concatenate([index_of(tc) for _, _, tc, _ in edges]).astype(np.int64) if edges else np.zeros(0, np.int64)
    act = np.concatenate([np.full(len(idx), ai, np.int32) for _, idx, _, ai in edges]) if edges else \
        np.zeros(0, np.int32)
    label = np.array([labels[a] for a in range(len(acts))], dtype=np.uint8)[act] if len(act) else np.zeros(0, np.uint8)
    enabled = np.zeros(n, dtype=np.uint8)
    np.bitwise_or.at(enabled, src, label)
    dead = np.zeros(n, dtype=bool)
    for d, dl in enumerate(dead_levels):
        dead[offsets[d]:offsets[d] + len(dl)] = dl
    g = Graph(n=n, src=array("q", src.tobytes()), dst=array("q", dst.tobytes()), act=array("i", act.tobytes()),
              label=array("B", label.tobytes()), enabled=array("B", enabled.tobytes()),
              parent=array("q", parent.tobytes()), parent_act=array("i", parent_act.tobytes()))
    S = canon.batch_decode(codes) if canon is not None else lay.unpack(codes)
    is_init = (parent == -1).tolist()
    deadl = dead.tolist()
    out: dict[str, Any] = {}
    for p in live:
        keys = list(p.over(m)) if p.over is not None else [None]
        found = None
        for key in keys:
            args = () if key is None else (key,)
            if p.kind == Kind.EVENTUALLY:
                trig = is_init
                goal = np.broadcast_to(np.asarray(p.predicate(m, S, *args), bool), (n,)).tolist()
            else:
                trig = np.broadcast_to(np.asarray(p.predicate(m, S, *args), bool), (n,)).tolist()
                goal = np.broadcast_to(np.asarray(p.goal(m, S, *args), bool), (n,)).tolist()
            found = check_leads_to(g, trig, goal, len(fair), deadl)
            if found is not None:
                break
        if found is None:
            out[p.name] = None
            continue
        path = list(found.states)
        if canon is not None:
            from .symmetry import lift_path

            states, actions, loop = lift_path(m, lambda s: canon.canonical(s)[1], inits,
                                              [int(codes[i]) for i in path], found.loop)
            out[p.name] = Trace.of(m, tuple(states), tuple(actions), loop=loop)
            continue
        state = inits[int(parent_act[path[0]])]
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
