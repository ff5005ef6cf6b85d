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

Two passes decide it, over the graph's integer arrays (held in source order as a
compressed adjacency: one offset per state and one int32 target per edge, not as Python
objects). First, vectorized with numpy, the states on no cycle are peeled level by level
from the sinks of the non-goal subgraph: a state whose successors there are all peeled is
a component of its own, fair only as a deadlock with no fair class enabled, and it
reaches a fair component exactly when it is one or a successor reaches one (decided in
the level before). Most explored graphs are mostly acyclic (``inclusion`` at ``tiny``: its
452,920 non-goal states would all go in 31 levels; 445,542 go before ``PEEL_RATIO`` stops
it), and this pass costs a few numpy operations over the edges per level instead of a
Python step per edge. Then an iterative Tarjan over what is left, which, when it completes
a component, already knows whether the component is fair and whether it reaches a fair one
(the components it has edges to, the peeled ones included, are complete before it).
Peeling stops when a level removes too few states to pay for its pass over the edges
(``PEEL_RATIO``), leaving the rest to Tarjan. The test-suite checks the components against
``networkx.strongly_connected_components`` and the verdict against the definition.
"""

from __future__ import annotations

from array import array
from collections import deque
from typing import Any, Callable, Sequence

import attrs

__all__ = ["Graph", "strongly_connected_components", "Lasso", "check_leads_to"]


@attrs.define
class Graph:
    """The explored graph: states ``0..n-1`` (discovery order) and their accepted edges,
    added in source order and held as a compressed adjacency (int32 targets: a few
    bytes an edge, no source array)."""

    n: int = 0
    #: ``off[s]``: the position of state ``s``'s first edge, for the states up to the last
    #: one with an edge (the later ones have none yet)
    off: array = attrs.field(factory=lambda: array("q"))
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
    OWN = ("off", "dst", "act", "label", "enabled")

    def add_state(self, parent: int, act: int) -> int:
        if len(self.parent) == self.n:  # not shared with an exploration that stored it already
            self.parent.append(parent)
            self.parent_act.append(act)
        self.enabled.append(0)
        self.n += 1
        return self.n - 1

    def add_edge(self, s: int, t: int, act: int, label: int) -> None:
        off = self.off
        if s != len(off) - 1:
            if s < len(off) - 1:
                raise ValueError(f"edge from state {s} added after edges from state {len(off) - 1}")
            at = len(self.dst)
            while len(off) <= s:
                off.append(at)
        self.dst.append(t)
        self.act.append(act)
        self.label.append(label)
        if label:
            self.enabled[s] |= label

    def edges_of(self, s: int) -> range:
        """The positions of state ``s``'s edges."""
        off = self.off
        m = len(self.dst)
        if s >= len(off):
            return range(m, m)
        return range(off[s], off[s + 1] if s + 1 < len(off) else m)

    def edges(self):
        """Every edge as ``(source, target, action index, label)``, in source order."""
        for s in range(len(self.off)):
            for e in self.edges_of(s):
                yield s, self.dst[e], self.act[e], self.label[e]

    def offsets(self) -> array:
        """The adjacency offsets of every state (``n + 1`` of them: state ``s``'s edges are
        ``offsets[s]`` up to ``offsets[s + 1]``)."""
        out = array("q", self.off)
        out.extend(array("q", [len(self.dst)]) * (self.n + 1 - len(out)))
        return out


def strongly_connected_components(n: int, offsets: Sequence[int], targets: Sequence[int],
                                  nodes: Sequence[int] | None = None) -> array:
    """Component id of every node (the acyclic states peeled, then Tarjan, over integer arrays);
    nodes not in ``nodes`` get -1."""
    keep = bytearray(n)
    for v in (range(n) if nodes is None else nodes):
        keep[v] = 1
    return _components(n, offsets, targets, keep, bytes(len(targets)), bytes(n), bytes(n), 0).comp


@attrs.define
class _Components:
    """The components of the kept subgraph (``comp``: -1 for a state not kept), numbered in
    the order Tarjan completes them (a component's edges lead to lower numbers), and per
    component: whether a fair run can stay in it forever, the fair classes enabled in
    every one of its states, and whether it reaches a fair component (itself included)."""

    comp: array
    fair: bytearray
    enabled_everywhere: bytearray
    bad: bytearray


#: peeling stops after a level that removes fewer than one state per ``PEEL_RATIO`` edges of
#: the graph (a level costs a few numpy passes over the edges; the rest is left to Tarjan)
PEEL_RATIO = 512
#: edges looked at together by a peeling level (bounds its temporaries)
_PEEL_BLOCK = 1 << 18


def _peel(n: int, off: Sequence[int], targets: Sequence[int], keep, enabled, dead, full: int):
    """The states of the ``keep`` subgraph on no cycle of it, peeled from its sinks level by
    level (a state goes once every successor of it there has gone): ``(order, fair, bad)``, the
    peeled states in peel order (so every edge of one leads to an earlier one), whether each is a
    fair component (a deadlock with no fair class enabled) and whether it reaches one. Memory: a
    byte per edge (which edges are still live), a few arrays of one item per state, and
    temporaries of a block of edges; an edge's source is found from the offsets
    (``searchsorted``), for the edges a level cuts only."""
    import numpy as np

    m = len(targets)
    empty = np.zeros(0, dtype=np.int64)
    if n == 0:
        return empty, empty.astype(bool), empty.astype(bool)
    offs = np.full(n + 1, m, dtype=np.int64)
    offs[:len(off)] = np.asarray(off, dtype=np.int64)[:n + 1]
    dst = np.asarray(targets, dtype=np.int32)
    alive = np.frombuffer(bytes(keep), dtype=np.uint8)[:n] != 0
    live = np.repeat(alive, np.diff(offs))  # the edges of the subgraph whose target is not peeled yet
    outdeg = np.zeros(n, dtype=np.int64)  # the live edges of each state
    for lo in range(0, m, _PEEL_BLOCK):
        block = live[lo:lo + _PEEL_BLOCK]
        block &= alive[dst[lo:lo + _PEEL_BLOCK]]
        np.add.at(outdeg, np.searchsorted(offs, np.flatnonzero(block) + lo, side="right") - 1, 1)
    own_fair = ((np.frombuffer(bytes(dead), dtype=np.uint8)[:n] != 0)
                & ((np.frombuffer(bytes(enabled), dtype=np.uint8)[:n] & full) == 0))
    reach = np.zeros(n, dtype=bool)  # a peeled successor reaches a fair component
    bad = np.zeros(n, dtype=bool)
    gone = np.zeros(n, dtype=bool)
    levels = []
    frontier = np.flatnonzero(alive & (outdeg == 0))
    while len(frontier):
        levels.append(frontier)
        bad[frontier] = own_fair[frontier] | reach[frontier]
        alive[frontier] = False
        gone[frontier] = True
        touched = np.zeros(n, dtype=bool)
        for lo in range(0, m, _PEEL_BLOCK):  # the edges into this level, a block of edges at a time
            cut = np.flatnonzero(live[lo:lo + _PEEL_BLOCK] & gone[dst[lo:lo + _PEEL_BLOCK]])
            if not len(cut):
                continue
            cut += lo
            live[cut] = False
            srcs = np.searchsorted(offs, cut, side="right") - 1
            reach[srcs[bad[dst[cut]]]] = True
            np.subtract.at(outdeg, srcs, 1)
            touched[srcs] = True
        gone[frontier] = False
        if len(frontier) * PEEL_RATIO < m:
            break
        frontier = np.flatnonzero(touched & alive & (outdeg == 0))
    order = np.concatenate(levels) if levels else empty
    return order, own_fair[order], bad[order]


def _peeled(n: int, off: Sequence[int], targets: Sequence[int], keep, enabled, dead, full: int):
    """The components after peeling (:func:`_peel`): ``(components, index, roots)``, the peeled
    states numbered in peel order as components of their own (in ``index`` not -1: completed, for
    Tarjan), and the kept states left for Tarjan, ascending."""
    import numpy as np

    order, p_fair, p_bad = _peel(n, off, targets, keep, enabled, dead, full)
    comp_np = np.full(n, -1, dtype=np.int32)
    comp_np[order] = np.arange(len(order), dtype=np.int32)
    comp, index = array("i"), array("i")
    comp.frombytes(comp_np.tobytes())
    index.frombytes(np.where(comp_np >= 0, 0, -1).astype(np.int32).tobytes())
    everywhere = np.frombuffer(bytes(enabled), dtype=np.uint8)[:n][order] & full
    out = _Components(comp, bytearray(p_fair.astype(np.uint8).tobytes()),
                      bytearray(everywhere.astype(np.uint8).tobytes()), bytearray(p_bad.astype(np.uint8).tobytes()))
    roots = np.flatnonzero((np.frombuffer(bytes(keep), dtype=np.uint8)[:n] != 0) & (comp_np < 0)).tolist()
    return out, index, roots


def _components(n: int, off: Sequence[int], targets: Sequence[int], keep, label, enabled, dead,
                n_fair: int) -> _Components:
    """The components of the ``keep`` subgraph: the states on no cycle peeled first
    (:func:`_peel`, one component each, numbered in peel order), then an iterative Tarjan on the
    rest, deciding fairness on the way: an edge to a state still on the stack, or a tree edge to
    a child whose component is not complete yet, lies inside a component (its label is taken
    there); an edge to a completed component (a peeled one too) leads out of it, whose verdict
    (it reaches a fair one) is known."""
    full, m, last, counter = (1 << n_fair) - 1, len(targets), len(off) - 1, 0
    out, index, roots = _peeled(n, off, targets, keep, enabled, dead, full)
    low = array("i", [0]) * n
    # per state: on the stack; the labels of its edges inside its component; an edge inside its
    # component (or a deadlock); an edge to a completed component that reaches a fair one
    on_stack, taken, cyc, reach = bytearray(n), bytearray(n), bytearray(dead), bytearray(n)
    comp, fair, everywhere, bad = out.comp, out.fair, out.enabled_everywhere, out.bad
    stack, work_v, work_i = array("i"), array("i"), array("q")
    for root in roots:
        if index[root] != -1:
            continue
        work_v.append(root)
        work_i.append(off[root] if root <= last else m)
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        while work_v:
            v = work_v[-1]
            i = work_i[-1]
            end = off[v + 1] if v < last else m
            while i < end:
                w = targets[i]
                i += 1
                if not keep[w]:
                    continue
                if index[w] == -1:
                    work_i[-1] = i
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = 1
                    work_v.append(w)
                    work_i.append(off[w] if w <= last else m)
                    break
                if on_stack[w]:
                    if index[w] < low[v]:
                        low[v] = index[w]
                    cyc[v] = 1
                    taken[v] |= label[i - 1]
                elif bad[comp[w]]:
                    reach[v] = 1
            else:  # every edge of v is done
                work_v.pop()
                work_i.pop()
                if low[v] == index[v]:  # v is the root of a component: pop it, decide it
                    c = len(fair)
                    ee, tk, cy, r = full, 0, 0, 0
                    while True:
                        w = stack.pop()
                        on_stack[w] = 0
                        comp[w] = c
                        ee &= enabled[w]
                        tk |= taken[w]
                        cy |= cyc[w]
                        r |= reach[w]
                        if w == v:
                            break
                    f = 1 if cy and not ee & ~tk else 0
                    fair.append(f)
                    everywhere.append(ee)
                    bad.append(f | r)
                if work_v:
                    u = work_v[-1]
                    if comp[v] == -1:  # v's component is u's: the tree edge lies inside it
                        if low[v] < low[u]:
                            low[u] = low[v]
                        cyc[u] = 1
                        taken[u] |= label[work_i[-1] - 1]
                    elif bad[comp[v]]:
                        reach[u] = 1
    return out


@attrs.frozen
class Lasso:
    """A counterexample: ``path`` of (state, action index taken from it) pairs, the last
    state's action leading back to ``path[loop]`` (``None`` for a stuttering deadlock)."""

    states: tuple[int, ...]
    acts: tuple[int | None, ...]
    loop: int


def _bfs_path(g: Graph, start: int, goal: Callable[[int], bool], allowed: Callable[[int], bool]):
    """Shortest path through ``allowed`` states: list of (state, edge to the next), and its end."""
    prev = {start: None}
    q = deque([start])
    dst = g.dst
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
        for e in g.edges_of(v):
            w = dst[e]
            if w not in prev and allowed(w):
                prev[w] = (v, e)
                q.append(w)
    return None, None


def check_leads_to(g: Graph, trigger: Sequence[bool], goal: Sequence[bool], n_fair: int,
                   deadlock: Sequence[bool]) -> Lasso | None:
    """None when ``trigger ~> goal`` holds on ``g``; else a lasso counterexample. The
    per-state flags may be sequences of bools or numpy boolean arrays."""
    import numpy as np

    n = g.n
    keep_np = ~np.asarray(goal, dtype=bool)
    dead = np.asarray(deadlock, dtype=bool).view(np.uint8).tobytes()
    cs = _components(n, g.off, g.dst, keep_np.view(np.uint8).tobytes(), g.label, g.enabled, dead, n_fair)
    if not any(cs.fair):
        return None
    comp = cs.comp
    C = np.frombuffer(comp, dtype=np.int32) if n else np.zeros(0, np.int32)
    starts = np.flatnonzero(np.asarray(trigger, dtype=bool) & keep_np)
    starts = starts[np.frombuffer(bytes(cs.bad), dtype=np.uint8)[C[starts]] != 0] if len(starts) else starts
    del C, keep_np
    if not len(starts):
        return None
    # the shortest such start: least BFS depth (discovery order is BFS order)
    x = int(starts[0])
    fair = cs.fair
    states, acts = _prefix(g, x)
    # stem inside the non-goal subgraph to a fair component
    stem, entry = _bfs_path(g, x, lambda v: fair[comp[v]], lambda v: comp[v] >= 0)
    for u, e in stem:
        states.append(u)
        acts.append(g.act[e])
    c = comp[entry]
    loop = len(states)
    if dead[entry] and not any(comp[g.dst[e]] == c for e in g.edges_of(entry)) and comp.count(c) == 1:
        states.append(entry)
        acts.append(None)  # stutters forever
        return Lasso(tuple(states), tuple(acts), loop)
    for u, e in _fair_cycle(g, comp, c, entry, cs.enabled_everywhere[c], n_fair):
        states.append(u)
        acts.append(g.act[e])
    return Lasso(tuple(states), tuple(acts), loop)


def _prefix(g: Graph, x: int) -> tuple[list[int], list[int | None]]:
    """The states and actions along the parent tree from an initial state to ``x`` (excluded)."""
    prefix = []
    cur = x
    while g.parent[cur] != -1:
        prefix.append((g.parent[cur], g.parent_act[cur]))
        cur = g.parent[cur]
    prefix.reverse()
    return [p for p, _ in prefix], [a for _, a in prefix]


def _fair_cycle(g: Graph, comp, c: int, entry: int, need: int, n_fair: int) -> list[tuple[int, int]]:
    """A cycle from ``entry`` inside component ``c`` through one edge of each class in
    ``need`` (those enabled everywhere in it): (state, edge) pairs."""
    cur = entry
    inside = lambda v: comp[v] == c  # noqa: E731
    dst = g.dst
    cycle: list[tuple[int, int]] = []
    for f in range(n_fair):
        if not (need >> f) & 1:
            continue
        # an edge of class f inside the component, reached from cur
        edge_src = {}
        for v in range(g.n):
            if comp[v] != c:
                continue
            for e in g.edges_of(v):
                if comp[dst[e]] == c and (g.label[e] >> f) & 1:
                    edge_src.setdefault(v, e)
        path, u = _bfs_path(g, cur, lambda v: v in edge_src, inside)
        cycle += path
        e = edge_src[u]
        cycle.append((u, e))
        cur = dst[e]
    # close the cycle back to entry (at least one step)
    if cur != entry or not cycle:
        if cur == entry:
            # a cycle from entry back to itself: step to a successor inside, then back
            e = next(e for e in g.edges_of(entry) if inside(dst[e]))
            cycle.append((entry, e))
            cur = dst[e]
        if cur != entry:
            path, _ = _bfs_path(g, cur, lambda v: v == entry, inside)
            cycle += path
    return cycle
