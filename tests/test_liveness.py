"""Liveness on the explored graph: SCCs, weak fairness, lasso counterexamples in ITF."""

import json

import attrs
import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker import itf, liveness
from paraspec.checker.explicit import Checker
from paraspec.checker.results import Verdict
from paraspec.checker.liveness import Graph, check_leads_to, strongly_connected_components
from paraspec.checker.registry import build, properties_of
from paraspec.model.config import get_preset
from paraspec.model.core import Machine, require
from paraspec.properties.core import Kind, Property


@given(st.integers(1, 30), st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=80))
def test_scc_matches_networkx(n, pairs):
    edges = [(a % n, b % n) for a, b in pairs]
    g = Graph()
    for _ in range(n):
        g.add_state(-1, 0)
    for a, b in sorted(edges):  # a graph is recorded in source order
        g.add_edge(a, b, 0, 0)
    comp = strongly_connected_components(n, g.offsets(), g.dst)
    ours = {}
    for v, c in enumerate(comp):
        ours.setdefault(c, set()).add(v)
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(edges)
    assert sorted(map(sorted, ours.values())) == sorted(map(sorted, nx.strongly_connected_components(G)))


# -- a toy: a light that may blink (unfair) or go green (fair) ------------------------------------


@attrs.frozen
class Light:
    phase: int = 0  # 0 red, 1 amber, 2 green


@attrs.frozen
class Blink:
    pass


@attrs.frozen
class Go:
    pass


class Lights(Machine):
    name = "lights"
    fairness = (Go,)

    def init(self):
        yield Light()

    def actions(self, s):
        return (Blink(), Go())

    def step(self, s, a):
        if isinstance(a, Blink):
            require(s.phase < 2, "TOY-1", "green stays")
            return Light(1 - s.phase)  # red <-> amber
        require(s.phase == 1, "TOY-2", "go only from amber")
        return Light(2)


def green(m, s):
    return s.phase == 2


def live(name, kind, pred, goal=None):
    return Property(name, kind, "lights", ("TOY-1",), pred, None, goal)


def test_weak_fairness_semantics():
    cfg = get_preset("tiny")
    ev = live("eventually_green", Kind.EVENTUALLY, green)
    # Go is enabled only in amber, not continuously along red <-> amber: weak fairness does
    # not force it, so the blinking cycle is a fair counterexample
    r = Checker(Lights(cfg)).with_properties([ev]).run()
    pr = r.properties[0]
    assert pr.verdict == Verdict.VIOLATED
    assert pr.trace.loop == 0 and [type(a) for a in pr.trace.actions] == [Blink, Blink]

    class Stuck(Lights):  # amber only: Go continuously enabled, so it must be taken
        def step(self, s, a):
            if isinstance(a, Blink):
                require(s.phase == 0, "TOY-1", "blink only from red")
                return Light(1)
            return super().step(s, a)

    assert Checker(Stuck(cfg)).with_properties([ev]).run().properties[0].verdict == Verdict.HOLDS

    class NoFairness(Stuck):
        fairness = ()

    # without fairness, stuttering is only allowed in deadlocks; amber -> green is the only way on
    assert Checker(NoFairness(cfg)).with_properties([ev]).run().properties[0].verdict == Verdict.HOLDS

    class Dead(Lights):  # red deadlocks: the behaviour stutters there forever
        def step(self, s, a):
            require(False, "TOY-1", "nothing happens")

    r = Checker(Dead(cfg)).with_properties([ev]).run()
    assert r.properties[0].verdict == Verdict.VIOLATED and r.properties[0].trace.loop == 0


def test_leads_to_only_from_trigger_states():
    cfg = get_preset("tiny")
    lt = live("amber_leads_to_green", Kind.LEADS_TO, lambda m, s: s.phase == 1, green)
    pr = Checker(Lights(cfg)).with_properties([lt]).run().properties[0]
    assert pr.verdict == Verdict.VIOLATED
    # the lasso goes through a trigger state: amber, then back to red forever and again
    assert any(s.phase == 1 for s in pr.trace.states)


def test_inclusion_backed_candidate_eventually_leaves():
    m = build("inclusion", "tiny", overrides={"max_candidates": 1})
    props = [p for p in properties_of("inclusion") if p.kind == Kind.LEADS_TO]
    r = Checker(m).with_properties(props).run()
    assert [p.verdict for p in r.properties] == [Verdict.HOLDS]


@pytest.mark.parametrize("machine,mutant,prop", [
    ("inclusion", "inc_unvoted_never_ages", "backed_candidate_enacted_or_timed_out"),
    ("avail_core", "ac_unheld_candidate_stalls", "backed_candidate_leaves_core"),
])
def test_lasso_counterexample_in_itf(tmp_path, machine, mutant, prop):
    m = build(machine, None, mutant)
    props = [p for p in properties_of(machine) if p.name == prop]
    r = Checker(m).with_properties(props).run()
    pr = r.properties[0]
    assert pr.verdict == Verdict.VIOLATED
    tr = pr.trace
    assert tr.loop is not None and 0 <= tr.loop < len(tr.states)
    # the lasso is a run of the mutant, closed by its last action
    nxt = tr.states[1:] + (tr.states[tr.loop],)
    for s, a, t in zip(tr.states, tr.actions, nxt):
        assert m.step(s, a) == t
    # the candidate stays pending all along the loop, under fair blocks
    path = itf.write(tr, tmp_path / "lasso.itf.json", m.view)
    data = json.loads(path.read_text())
    assert data["loop"] == tr.loop
    assert itf.load(path).loop == tr.loop


def test_no_liveness_verdict_on_partial_search():
    m = build("inclusion", "tiny", overrides={"max_candidates": 1})
    props = [p for p in properties_of("inclusion") if p.kind == Kind.LEADS_TO]
    r = Checker(m).with_properties(props).with_max_depth(3).run()
    assert r.properties[0].verdict == Verdict.NOT_CHECKED


def test_check_leads_to_on_a_handmade_graph():
    # 0 -> 1 -> 2 (goal); 1 -> 1 self loop with an unfair action
    g = Graph()
    for p in (-1, 0, 1):
        g.add_state(p, 0)
    g.add_edge(0, 1, 0, 1)
    g.add_edge(1, 2, 0, 1)
    g.add_edge(1, 1, 1, 0)
    trig = [True, False, False]
    goal = [False, False, True]
    dead = [False, False, True]
    # the fair class (bit 0) is enabled at 1 and never taken on its self-loop: not fair
    assert check_leads_to(g, trig, goal, 1, dead) is None
    # with no fairness the self-loop at 1 is a counterexample
    lasso = check_leads_to(g, trig, goal, 0, dead)
    assert lasso is not None and lasso.states[lasso.loop] == 1


def _reference_violated(n, edges, enabled, trig, goal, dead, n_fair) -> bool:
    """``trig ~> goal`` by the definition, with networkx: some trigger state outside the goal
    reaches, outside the goal, a fair component of the non-goal subgraph."""
    keep = [not x for x in goal]
    G = nx.DiGraph()
    G.add_nodes_from(v for v in range(n) if keep[v])
    G.add_edges_from((a, b) for a, b, _ in edges if keep[a] and keep[b])
    fair_nodes = set()
    for comp in nx.strongly_connected_components(G):
        inner = [lab for a, b, lab in edges if a in comp and b in comp]
        everywhere, taken = (1 << n_fair) - 1, 0
        for v in comp:
            everywhere &= enabled[v]
        for lab in inner:
            taken |= lab
        if (inner or any(dead[v] for v in comp)) and not everywhere & ~taken:
            fair_nodes |= comp
    return any(trig[v] and keep[v] and ({v} | nx.descendants(G, v)) & fair_nodes for v in range(n))


_GRAPHS = (st.integers(1, 12), st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.integers(0, 3)),
                                        max_size=40),
           st.lists(st.booleans(), min_size=12, max_size=12), st.lists(st.booleans(), min_size=12, max_size=12),
           st.integers(0, 2))


@given(*_GRAPHS)
def test_one_pass_verdict_matches_the_definition(n, raw, trig, goal, n_fair):
    """The peeling of the acyclic states and the Tarjan pass over the rest, which decide fairness
    and reachability as they complete components, agree with the definition computed separately
    (components, their fairness, then reachability)."""
    _agrees_with_the_definition(n, raw, trig, goal, n_fair)


@settings(max_examples=150)
@given(*_GRAPHS, st.sampled_from([1, 10 ** 9]))
def test_verdict_matches_the_definition_however_far_peeling_goes(n, raw, trig, goal, n_fair, ratio):
    """Peeling the acyclic states stops early on a large graph (``PEEL_RATIO``): with peeling
    stopped after its first level (ratio 1) or never stopped, Tarjan over the rest, reading the
    peeled states as completed components, gives the verdict of the definition."""
    was = liveness.PEEL_RATIO
    liveness.PEEL_RATIO = ratio
    try:
        _agrees_with_the_definition(n, raw, trig, goal, n_fair)
    finally:
        liveness.PEEL_RATIO = was


def _agrees_with_the_definition(n, raw, trig, goal, n_fair):
    edges = sorted({(a % n, b % n, lab & ((1 << n_fair) - 1)) for a, b, lab in raw})
    g = Graph()
    for _ in range(n):
        g.add_state(-1, 0)
    for a, b, lab in edges:
        g.add_edge(a, b, 0, lab)
    dead = [not any(a == v for a, _, _ in edges) for v in range(n)]
    lasso = check_leads_to(g, trig[:n], goal[:n], n_fair, dead)
    assert (lasso is not None) == _reference_violated(n, edges, list(g.enabled), trig[:n], goal[:n], dead, n_fair)
    if lasso is not None:  # a path of edges of the graph, outside the goal from the trigger on
        pairs = {(a, b) for a, b, _ in edges}
        assert all((u, v) in pairs for u, v in zip(lasso.states, lasso.states[1:]))
        assert not any(goal[v] for v in lasso.states[lasso.loop:])


def test_edges_are_recorded_in_source_order():
    g = Graph()
    for _ in range(4):
        g.add_state(-1, 0)
    g.add_edge(0, 1, 0, 0)
    g.add_edge(2, 3, 1, 0)  # state 1 has no edge
    g.add_edge(2, 0, 2, 0)
    assert list(g.offsets()) == [0, 1, 1, 3, 3]
    assert list(g.edges()) == [(0, 1, 0, 0), (2, 3, 1, 0), (2, 0, 2, 0)]
    with pytest.raises(ValueError):
        g.add_edge(1, 0, 0, 0)


@pytest.mark.parametrize("ratio", [1, 10 ** 9])
def test_a_trigger_reaching_a_deadlock_along_acyclic_states(ratio):
    """0 -> 1 -> 2 with 2 a deadlock (no fair class enabled): ``0 ~> goal`` is violated unless the
    goal cuts the path; the states are peeled (all, or the first level only) and the verdict
    travels back along the peeled edges."""
    g = Graph()
    for _ in range(3):
        g.add_state(-1, 0)
    g.add_edge(0, 1, 0, 0)
    g.add_edge(1, 2, 0, 0)
    was = liveness.PEEL_RATIO
    liveness.PEEL_RATIO = ratio
    try:
        lasso = check_leads_to(g, [True, False, False], [False, False, False], 0, [False, False, True])
        assert lasso is not None and lasso.states == (0, 1, 2) and lasso.acts[-1] is None
        assert check_leads_to(g, [True, False, False], [False, True, False], 0, [False, False, True]) is None
    finally:
        liveness.PEEL_RATIO = was
