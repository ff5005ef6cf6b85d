"""Liveness on the explored graph: ``eventually`` and ``leads_to`` under weak fairness.

Semantics. A behaviour is an infinite path of accepted transitions through the
explored graph from an initial state; a state with no accepted transition (a
deadlock) repeats itself forever (stuttering). The machine states its fairness as
``fairness = (ActionClass, ...)``: *weak fairness* of each class: a behaviour that,
from some point on, has an action of class F accepted in every state must take an
action of class F infinitely often. Stuttering anywhere else is not a behaviour (so a
machine without fairness has no obligation to progress only where it deadlocks).

* ``trigger ~> goal`` (``leads_to``) is violated when some reachable trigger state
  that is not a goal state starts a fair behaviour that never reaches the goal;
* ``<> pred`` (``eventually``) is ``initial ~> pred``.

Decision procedure (as in TLC and SPIN's acceptance cycles, on the finite graph): in
the subgraph of non-goal states, take the strongly connected components; a component
is *fair* when it has a cycle (a self-loop or two states or more, or a deadlock
state) and, for every fair class F, either some edge inside it takes F or some state
in it has no F action accepted (F is not continuously enabled there). The property
is violated exactly when a reachable trigger state reaches a fair component inside
the non-goal subgraph. The counterexample is a lasso: the shortest path from an
initial state to the trigger (the explorer's parent tree), a path inside the
non-goal subgraph to the component, and a cycle through the component taking one
edge of every class F that is enabled everywhere in it. It is written as ITF with
``loop`` set.

The components are computed by :func:`strongly_connected_components`, an iterative
Tarjan on arrays (the graph is held as integer arrays, not as Python objects); the
test-suite checks it against ``networkx.strongly_connected_components``.
"""

from __future__ import annotations

from array import array
from collections import deque
from typing import Any, Callable, Sequence

import attrs

__all__ = ["Graph", "strongly_connected_components", "Lasso", "check_leads_to"]


@attrs.define
class Graph:
    """The explored graph: states ``0..n-1`` (discovery order), accepted edges (int32
    state indices: a few bytes an edge)."""

    n: int = 0
    src: array = attrs.field(factory=lambda: array("i"))
    dst: array = attrs.field(factory=lambda: array("i"))
    #: index of the action in ``actions(src)`` (for replay)
    act: array = attrs.field(factory=lambda: array("i"))
    #: bit f set when the edge's action is of fair class f
    label: array = attrs.field(factory=lambda: array("B"))
    #: per state: bit f set when some action of fair class f is accepted there
    enabled: array = attrs.field(factory=lambda: array("B"))
    #: per state: the BFS parent (-1 for an initial state) and the action index (the
    #: exploration's own arrays, shared: not a copy)
    parent: array = attrs.field(factory=lambda: array("q"))
    parent_act: array = attrs.field(factory=lambda: array("i"))

    #: the arrays that are the graph's own (a checkpoint saves these)
    OWN = ("src", "dst", "act", "label", "enabled")

    def add_state(self, parent: int, act: int) -> int:
        if len(self.parent) == self.n:  # not shared with an exploration that stored it already
            self.parent.append(parent)
            self.parent_act.append(act)
        self.enabled.append(0)
        self.n += 1
        return self.n - 1

    def add_edge(self, s: int, t: int, act: int, label: int) -> None:
        self.src.append(s)
        self.dst.append(t)
        self.act.append(act)
        self.label.append(label)
        if label:
            self.enabled[s] |= label

    def csr(self, keep: Sequence[bool] | None = None):
        """Adjacency as (offsets, targets, edge ids) ``array`` objects, edges restricted to kept states."""
        import numpy as np

        n = self.n
        src = np.frombuffer(self.src, dtype=np.int32) if len(self.src) else np.zeros(0, np.int32)
        dst = np.frombuffer(self.dst, dtype=np.int32) if len(self.dst) else np.zeros(0, np.int32)
        if keep is not None:
            k = np.asarray(keep, dtype=bool)
            ids = np.flatnonzero(k[src] & k[dst]).astype(np.int32) if len(src) else np.zeros(0, np.int32)
            del k
        else:
            ids = np.arange(len(src), dtype=np.int32)
        sub = src[ids]
        if len(sub) > 1 and bool((sub[1:] < sub[:-1]).any()):  # edges not recorded in source order
            order = ids[np.argsort(sub, kind="stable")].astype(np.int32)
            sub = src[order]
        else:
            order = ids
        counts = np.bincount(sub, minlength=n)
        del sub, ids
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        targets = dst[order]
        del src, dst
        return array("q", offsets.tobytes()), array("i", targets.tobytes()), array("i", order.tobytes())


def strongly_connected_components(n: int, offsets: Sequence[int], targets: Sequence[int],
                                  nodes: Sequence[int] | None = None) -> array:
    """Component id of every node (iterative Tarjan over integer arrays); nodes not in
    ``nodes`` get -1."""
    index = array("i", [-1]) * n
    low = array("i", [0]) * n
    comp = array("i", [-1]) * n
    on_stack = bytearray(n)
    stack = array("i")
    work_v = array("i")
    work_i = array("q")
    counter = 0
    ncomp = 0
    for root in (range(n) if nodes is None else nodes):
        if index[root] != -1:
            continue
        work_v.append(root)
        work_i.append(offsets[root])
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        while work_v:
            v = work_v[-1]
            i = work_i[-1]
            end = offsets[v + 1]
            pushed = False
            while i < end:
                w = targets[i]
                i += 1
                if index[w] == -1:
                    work_i[-1] = i
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = 1
                    work_v.append(w)
                    work_i.append(offsets[w])
                    pushed = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if pushed:
                continue
            work_v.pop()
            work_i.pop()
            if work_v:
                u = work_v[-1]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = 0
                    comp[w] = ncomp
                    if w == v:
                        break
                ncomp += 1
    return comp


@attrs.frozen
class Lasso:
    """A counterexample: ``path`` of (state, action index taken from it) pairs, the last
    state's action leading back to ``path[loop]`` (``None`` for a stuttering deadlock)."""

    states: tuple[int, ...]
    acts: tuple[int | None, ...]
    loop: int


def _bfs_path(start: int, goal: Callable[[int], bool], offsets, targets, eids, g: Graph):
    """Shortest path inside the restricted graph: list of (state, edge id to next)."""
    prev = {start: None}
    q = deque([start])
    while q:
        v = q.popleft()
        if goal(v):
            path = []
            cur = v
            while prev[cur] is not None:
                u, e = prev[cur]
                path.append((u, e))
                cur = u
            path.reverse()
            return path, v
        for i in range(offsets[v], offsets[v + 1]):
            w = targets[i]
            if w not in prev:
                prev[w] = (v, eids[i])
                q.append(w)
    return None, None


def check_leads_to(g: Graph, trigger: Sequence[bool], goal: Sequence[bool], n_fair: int,
                   deadlock: Sequence[bool]) -> Lasso | None:
    """None when ``trigger ~> goal`` holds on ``g``; else a lasso counterexample. The
    per-state flags may be sequences of bools or numpy boolean arrays."""
    import numpy as np

    n = g.n
    keep = ~np.asarray(goal, dtype=bool)
    deadlock = np.asarray(deadlock, dtype=bool)
    offsets, targets, eids = g.csr(keep)
    comp = strongly_connected_components(n, offsets, targets, array("q", np.flatnonzero(keep).tobytes()))
    size, enabled_everywhere, fair = _fair_components(g, comp, offsets, targets, eids, n_fair, deadlock)
    if not fair.any():
        return None
    bad = _reaching(n, comp, fair, offsets, targets)
    starts = np.flatnonzero(np.asarray(trigger, dtype=bool) & keep & bad)
    if not len(starts):
        return None
    # the shortest such start: least BFS depth (discovery order is BFS order)
    x = int(starts[0])
    fair_b = fair.astype(np.uint8).tobytes()
    states, acts = _prefix(g, x)
    # stem inside the non-goal subgraph to a fair component
    stem, entry = _bfs_path(x, lambda v: comp[v] >= 0 and fair_b[comp[v]], offsets, targets, eids, g)
    for u, e in stem:
        states.append(u)
        acts.append(g.act[e])
    c = comp[entry]
    loop = len(states)
    if size[c] == 1 and deadlock[entry] and not any(
            comp[targets[i]] == c for i in range(offsets[entry], offsets[entry + 1])):
        states.append(entry)
        acts.append(None)  # stutters forever
        return Lasso(tuple(states), tuple(acts), loop)
    for u, e in _fair_cycle(g, comp, c, entry, int(enabled_everywhere[c]), n_fair, offsets, targets, eids):
        states.append(u)
        acts.append(g.act[e])
    return Lasso(tuple(states), tuple(acts), loop)


def _csr_sources(offsets) -> "Any":
    import numpy as np

    off = np.frombuffer(offsets, dtype=np.int64)
    return np.repeat(np.arange(len(off) - 1, dtype=np.int32), np.diff(off))


def _fair_components(g: Graph, comp, offsets, targets, eids, n_fair: int, deadlock):
    """Per component of the non-goal subgraph (numpy arrays): its size, the fairness
    classes enabled in every one of its states, and whether a fair run can stay in it
    forever (it has a cycle, or a deadlock, and takes every class enabled everywhere in it)."""
    import numpy as np

    C = np.frombuffer(comp, dtype=np.int32) if len(comp) else np.zeros(0, np.int32)
    inside = C >= 0
    ncomp = int(C.max()) + 1 if len(C) and inside.any() else 0
    cs = C[inside]
    size = np.bincount(cs, minlength=ncomp)
    enabled = np.frombuffer(g.enabled, dtype=np.uint8)[inside] if g.n else np.zeros(0, np.uint8)
    enabled_everywhere = np.full(ncomp, (1 << n_fair) - 1, dtype=np.int64)
    for f in range(n_fair):
        has = np.bincount(cs, weights=(enabled >> f) & 1, minlength=ncomp)
        enabled_everywhere[has < size] &= ~(1 << f)
    cyclic = np.zeros(ncomp, dtype=bool)
    cyclic[C[deadlock & inside]] = True
    tg = np.frombuffer(targets, dtype=np.int32) if len(targets) else np.zeros(0, np.int32)
    src = _csr_sources(offsets)
    internal = C[src] == C[tg]
    ic = C[src[internal]]
    cyclic[ic] = True
    taken = np.zeros(ncomp, dtype=np.int64)
    if len(ic):
        ei = np.frombuffer(eids, dtype=np.int32)
        np.bitwise_or.at(taken, ic, np.frombuffer(g.label, dtype=np.uint8)[ei[internal]].astype(np.int64))
    fair = cyclic & ((enabled_everywhere & ~taken) == 0)
    return size, enabled_everywhere, fair


def _reaching(n: int, comp, fair, offsets, targets):
    """The states that reach a fair component inside the non-goal subgraph (a reverse
    breadth-first search, level by level with numpy): a boolean array."""
    import numpy as np

    C = np.frombuffer(comp, dtype=np.int32) if n else np.zeros(0, np.int32)
    bad = np.zeros(n, dtype=bool)
    inside = C >= 0
    bad[inside] = fair[C[inside]]
    tg = np.frombuffer(targets, dtype=np.int32) if len(targets) else np.zeros(0, np.int32)
    src = _csr_sources(offsets)
    order = np.argsort(tg, kind="stable")
    rsrc = src[order]
    roff = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tg, minlength=n), out=roff[1:])
    del src, order
    front = np.flatnonzero(bad)
    while len(front):
        lo, hi = roff[front], roff[front + 1]
        lens = hi - lo
        total = int(lens.sum())
        if not total:
            break
        idx = np.repeat(lo - np.cumsum(lens) + lens, lens) + np.arange(total)
        preds = rsrc[idx]
        preds = np.unique(preds[~bad[preds]])
        bad[preds] = True
        front = preds
    return bad


def _prefix(g: Graph, x: int) -> tuple[list[int], list[int | None]]:
    """The states and actions along the parent tree from an initial state to ``x`` (excluded)."""
    prefix = []
    cur = x
    while g.parent[cur] != -1:
        prefix.append((g.parent[cur], g.parent_act[cur]))
        cur = g.parent[cur]
    prefix.reverse()
    return [p for p, _ in prefix], [a for _, a in prefix]


def _fair_cycle(g: Graph, comp, c: int, entry: int, need: int, n_fair: int, offsets, targets,
                eids) -> list[tuple[int, int]]:
    """A cycle from ``entry`` inside component ``c`` through one edge of each class in
    ``need`` (those enabled everywhere in it): (state, edge) pairs."""
    n = g.n
    cur = entry
    inside = lambda v: comp[v] == c  # noqa: E731
    cycle: list[tuple[int, int]] = []
    for f in range(n_fair):
        if not (need >> f) & 1:
            continue
        # an edge of class f inside the component, reached from cur
        edge_src = {}
        for v in range(n):
            if comp[v] != c:
                continue
            for i in range(offsets[v], offsets[v + 1]):
                if comp[targets[i]] == c and (g.label[eids[i]] >> f) & 1:
                    edge_src.setdefault(v, i)
        path, u = _bfs_path(cur, lambda v: v in edge_src, offsets, targets, eids, g)
        cycle += path
        i = edge_src[u]
        cycle.append((u, eids[i]))
        cur = targets[i]
    # close the cycle back to entry (at least one step)
    if cur != entry or not cycle:
        if cur == entry:
            # a cycle from entry back to itself: step to a successor inside, then back
            i = next(i for i in range(offsets[entry], offsets[entry + 1]) if inside(targets[i]))
            cycle.append((entry, eids[i]))
            cur = targets[i]
        if cur != entry:
            path, _ = _bfs_path(cur, lambda v: v == entry, offsets, targets, eids, g)
            cycle += path
    return cycle
