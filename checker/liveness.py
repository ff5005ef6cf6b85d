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
from typing import Callable, Sequence

import attrs

__all__ = ["Graph", "strongly_connected_components", "Lasso", "check_leads_to"]


@attrs.define
class Graph:
    """The explored graph: states ``0..n-1`` (discovery order), accepted edges."""

    n: int = 0
    src: array = attrs.field(factory=lambda: array("q"))
    dst: array = attrs.field(factory=lambda: array("q"))
    #: index of the action in ``actions(src)`` (for replay)
    act: array = attrs.field(factory=lambda: array("i"))
    #: bit f set when the edge's action is of fair class f
    label: array = attrs.field(factory=lambda: array("B"))
    #: per state: bit f set when some action of fair class f is accepted there
    enabled: array = attrs.field(factory=lambda: array("B"))
    #: per state: the BFS parent (-1 for an initial state) and the action index
    parent: array = attrs.field(factory=lambda: array("q"))
    parent_act: array = attrs.field(factory=lambda: array("i"))

    def add_state(self, parent: int, act: int) -> int:
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
        """Adjacency as (offsets, targets, edge ids), edges restricted to kept states."""
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - numpy is a dependency
            return self._csr_py(keep)
        n = self.n
        src = np.frombuffer(self.src, dtype=np.int64) if len(self.src) else np.zeros(0, np.int64)
        dst = np.frombuffer(self.dst, dtype=np.int64) if len(self.dst) else np.zeros(0, np.int64)
        ids = np.arange(len(src))
        if keep is not None:
            k = np.asarray(keep, dtype=bool)
            sel = k[src] & k[dst] if len(src) else np.zeros(0, bool)
            ids = ids[sel]
        order = ids[np.argsort(src[ids], kind="stable")]
        counts = np.bincount(src[order], minlength=n)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return offsets.tolist(), dst[order].tolist(), order.tolist()

    def _csr_py(self, keep: Sequence[bool] | None = None):
        n = self.n
        deg = [0] * (n + 1)
        src, dst = self.src, self.dst
        ids = [e for e in range(len(src)) if keep is None or (keep[src[e]] and keep[dst[e]])]
        for e in ids:
            deg[src[e] + 1] += 1
        for i in range(n):
            deg[i + 1] += deg[i]
        pos = deg[:]
        targets = [0] * len(ids)
        eids = [0] * len(ids)
        for e in ids:
            p = pos[src[e]]
            targets[p] = dst[e]
            eids[p] = e
            pos[src[e]] += 1
        return deg, targets, eids


def strongly_connected_components(n: int, offsets: list[int], targets: list[int],
                                  nodes: Sequence[int] | None = None) -> list[int]:
    """Component id of every node (iterative Tarjan); nodes not in ``nodes`` get -1."""
    index = [-1] * n
    low = [0] * n
    comp = [-1] * n
    on_stack = [False] * n
    stack: list[int] = []
    counter = 0
    ncomp = 0
    for root in (range(n) if nodes is None else nodes):
        if index[root] != -1:
            continue
        work = [(root, offsets[root])]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, i = work[-1]
            end = offsets[v + 1]
            pushed = False
            while i < end:
                w = targets[i]
                i += 1
                if index[w] == -1:
                    work[-1] = (v, i)
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, offsets[w]))
                    pushed = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if pushed:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
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
    """None when ``trigger ~> goal`` holds on ``g``; else a lasso counterexample."""
    n = g.n
    keep = [not goal[i] for i in range(n)]
    offsets, targets, eids = g.csr(keep)
    comp = strongly_connected_components(n, offsets, targets, [i for i in range(n) if keep[i]])
    size, enabled_everywhere, fair = _fair_components(g, comp, offsets, targets, eids, n_fair, deadlock)
    if not any(fair):
        return None
    bad = _reaching(n, keep, comp, fair, offsets, targets)
    starts = [v for v in range(n) if trigger[v] and keep[v] and bad[v]]
    if not starts:
        return None
    # the shortest such start: least BFS depth (discovery order is BFS order)
    x = min(starts)
    states, acts = _prefix(g, x)
    # stem inside the non-goal subgraph to a fair component
    stem, entry = _bfs_path(x, lambda v: comp[v] >= 0 and fair[comp[v]], offsets, targets, eids, g)
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
    for u, e in _fair_cycle(g, comp, c, entry, enabled_everywhere[c], n_fair, offsets, targets, eids):
        states.append(u)
        acts.append(g.act[e])
    return Lasso(tuple(states), tuple(acts), loop)


def _fair_components(g: Graph, comp, offsets, targets, eids, n_fair: int, deadlock):
    """Per component of the non-goal subgraph: its size, the fairness classes enabled in
    every one of its states, and whether a fair run can stay in it forever (it has a
    cycle, or a deadlock, and takes every class enabled everywhere in it)."""
    n = g.n
    ncomp = max(comp) + 1 if n else 0
    size = [0] * ncomp
    cyclic = [False] * ncomp
    taken = [0] * ncomp
    all_f = (1 << n_fair) - 1
    enabled_everywhere = [all_f] * ncomp
    for v in range(n):
        c = comp[v]
        if c < 0:
            continue
        size[c] += 1
        enabled_everywhere[c] &= g.enabled[v]
        if deadlock[v]:
            cyclic[c] = True
    for v in range(n):
        c = comp[v]
        if c < 0:
            continue
        for i in range(offsets[v], offsets[v + 1]):
            if comp[targets[i]] == c:
                cyclic[c] = True
                taken[c] |= g.label[eids[i]]
    fair = [cyclic[c] and (enabled_everywhere[c] & ~taken[c]) == 0 for c in range(ncomp)]
    return size, enabled_everywhere, fair


def _reaching(n: int, keep, comp, fair, offsets, targets) -> list[bool]:
    """The states that reach a fair component inside the non-goal subgraph (reverse BFS)."""
    radj: list[list[int]] = [[] for _ in range(n)]
    for v in range(n):
        if keep[v]:
            for i in range(offsets[v], offsets[v + 1]):
                radj[targets[i]].append(v)
    bad = [False] * n
    q = deque(v for v in range(n) if comp[v] >= 0 and fair[comp[v]])
    for v in q:
        bad[v] = True
    while q:
        v = q.popleft()
        for u in radj[v]:
            if not bad[u]:
                bad[u] = True
                q.append(u)
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
