"""The explicit engine's hot paths (issue 15 item 2) keep their meaning: one visited lookup
per accepted successor, transition and state properties compiled once per machine with the
verdicts of a plain evaluation, and inclusion's listed bitfield inputs equal to the lazy ones."""

from __future__ import annotations

from paraspec.checker.expander import Expander
from paraspec.checker.explicit import Checker
from paraspec.checker.registry import build, load_all, properties_of
from paraspec.checker.visited import Visited
from paraspec.model.availability import bitfield_actions
from paraspec.model.core import Rejected
from paraspec.model.inclusion import Block
from paraspec.properties.core import Kind, Property

load_all()


def _states(m, levels: int, width: int = 30) -> list:
    states = list(m.init())
    out = list(states)
    for _ in range(levels):
        states = [t for s in states[:width] for _, _, t in m.successors(s) if not isinstance(t, Rejected)]
        out += states[:width]
    return out


def test_one_visited_lookup_per_accepted_successor(monkeypatch):
    calls = []
    get = Visited.get
    monkeypatch.setattr(Visited, "get", lambda self, key, default=None: calls.append(key) or get(self, key, default))
    r = Checker(build("inclusion", "trio", overrides={"max_candidates": 1})).with_properties(
        properties_of("inclusion")).with_engine("explicit").run()
    accepted = r.transitions - sum(r.rejections.values())
    roots = 1
    assert r.complete and accepted > 0
    assert len(calls) == accepted + roots  # the old engine looked every successor up twice


def _plain_expand(m, props, s):
    """Every transition property and witness evaluated by a plain loop (the reference)."""
    tviol, twit = [], {}
    for idx, a, t in m.successors(s):
        ps = [p for p in props if p.kind == Kind.TRANSITION and (not p.on or isinstance(a, p.on))]
        for p in ps:
            if p.witness is not None and p.witness(m, s, a, t):
                twit[p.name] = twit.get(p.name, 0) + 1
        for p in ps:
            if not p.predicate(m, s, a, t):
                tviol.append((p.name, idx))
    return tviol, twit


def _plain_info(m, props, s):
    inv = [p for p in props if p.kind == Kind.ALWAYS]
    return (tuple(p.name for p in inv if not p.predicate(m, s)),
            tuple(p.name for p in inv if p.witness is not None and p.witness(m, s)),
            tuple(p.name for p in props if p.kind == Kind.SOMETIMES and p.predicate(m, s)))


#: properties that fail and fire now and then, so the compiled functions' failure paths run
_EXTRA = [
    Property("odd_block", Kind.TRANSITION, "inclusion", ("INC-9",), lambda m, s, a, t: a.backed % 2 == 0,
             lambda m, s, a, t: not isinstance(t, Rejected), on=(Block,)),
    Property("no_rejection", Kind.TRANSITION, "inclusion", ("INC-1",), lambda m, s, a, t: not isinstance(t, Rejected),
             lambda m, s, a, t: s.signed > 0),
    Property("never_signed", Kind.ALWAYS, "inclusion", ("AV-3",), lambda m, s: s.signed == 0, lambda m, s: s.signed > 1),
    Property("some_pending", Kind.SOMETIMES, "inclusion", ("INC-5",), lambda m, s: any(s.cores)),
]


def test_compiled_properties_agree_with_a_plain_evaluation():
    seen = set()
    for mutant in (None, "inc_second_core"):
        m = build("inclusion", "tiny", mutant)
        props = properties_of("inclusion") + _EXTRA
        x = Expander(m, props, symmetry=False)
        for s in _states(m, 6):
            succs, tviol, twit = x.expand(s, lazy=True)
            assert (tviol, twit) == _plain_expand(m, props, s)
            info = x.state_info(s)
            assert info == _plain_info(m, props, s)
            seen |= {name for name, _ in tviol} | set(twit) | {n for part in info for n in part}
            eager, _, _ = x.expand(s)
            assert [u[:5] for u in succs] == [u[:5] for u in eager]
            assert [x.state_info(u[4]) for u in succs if u[2] is None] == [u[5] for u in eager if u[2] is None]
    assert {"odd_block", "no_rejection", "never_signed", "some_pending"} <= seen


def test_listed_bitfield_inputs_equal_the_lazy_ones():
    m = build("inclusion", "tiny")
    c = m.config
    for s in _states(m, 8):
        live = sum(1 << i for i, core in enumerate(s.cores) if core is not None)
        want = list(bitfield_actions(c.n_validators, len(s.cores), live, s.signed))
        assert list(m._bitfield_space(len(s.cores), live, s.signed)) == want
        assert list(m._bitfield_space(len(s.cores), live, s.signed)) == want  # kept


def _outcome(t):
    return ("rejected", t.rule_id, t.reason) if isinstance(t, Rejected) else ("ok", t)


def test_successors_equal_try_step_of_every_action():
    """A machine's ``successors`` (avail_core's returns rejections without raising them) is
    ``try_step`` of every action in order, the correct model and its mutants alike."""
    from paraspec.model.core import MACHINES

    for name in sorted(MACHINES):
        if name == "inclusion":  # its inputs are listed lazily (the test above)
            continue
        m = build(name, "tiny")
        for s in _states(m, 3, width=8)[:40]:
            got = [(i, a, _outcome(t)) for i, a, t in m.successors(s)]
            want = [(i, a, _outcome(m.try_step(s, a))) for i, a in enumerate(m.actions(s))]
            assert got == want, name


def test_avail_core_mutants_successors_equal_try_step():
    from paraspec.properties.core import mutants_for

    for mu in mutants_for("avail_core"):
        m = build("avail_core", "tiny", mutant=mu.name)
        for s in _states(m, 4, width=10)[:60]:
            got = [(i, a, _outcome(t)) for i, a, t in m.successors(s)]
            want = [(i, a, _outcome(m.try_step(s, a))) for i, a in enumerate(m.actions(s))]
            assert got == want, mu.name


def test_memoized_code_history_verdicts_are_each_machines_own():
    """The paras code-history verdicts are memoized (properties/paras.py); the machine is part of
    the key, so a variant that answers ``validation_code_at`` differently on the very same
    storage gets its own verdict, and the memo answers as a fresh evaluation does."""
    from paraspec.model.runtime.paras import ParasMachine
    from paraspec.properties import paras as pp

    class WrongCode(ParasMachine):
        def get_validation_code_at(self, ps, para, at, assume_intermediate=None, cfg=None):
            return -1

    good = build("paras", None)
    bad = WrongCode(good.config)
    states = [s for s in _states(good, 2) if s.now >= 1 and pp.known_paras(s.paras)]
    assert states
    for s in states:
        args = (s.paras, s.now, good.acceptance_period)
        assert pp.code_history_agrees(good, *args) is pp.code_history_agrees.__wrapped__(good, *args) is True
        assert pp.code_history_agrees(bad, *args) is False
        assert pp.code_history_agrees(good, *args) is True  # still the good machine's own answer
