"""What proofs need to know of the inclusion machine ([IG §2.5.6]): the bounds of its
state's values, the auxiliary invariant its k-induction needs, and its counting
abstraction over vote counts. Declared through the machine contract
(:meth:`InclusionMachine.symbolic_domain` and the other hooks of
:class:`~paraspec.model.core.Machine`); :mod:`paraspec.model.proofs` says what each
shape means.
"""

from __future__ import annotations

from .inclusion import Outcome, Stage
from .logic import And, Implies, Or, ite
from .proofs import CountingModel, Invariant
from .thresholds import is_more_than_two_thirds

__all__ = ["symbolic_domain", "AUXILIARY_INVARIANTS", "COUNTING_MODELS"]


def symbolic_domain(c) -> dict[str, tuple[int, int]]:
    """Bounds of every integer leaf of a state (by leaf pattern), for the parameters ``c``."""
    n, t, m, p = c.n_validators, c.chain_availability_period, c.max_candidates, c.n_parachains
    return {
        "paras[*].statements": (0, (1 << n) - 1),
        "paras[*].produced": (0, m),
        "cores[*].para": (0, p - 1),
        "cores[*].serial": (0, m),
        "cores[*].votes": (0, (1 << n) - 1),
        "cores[*].age": (0, t),
        "signed": (0, n),
        "exits[*]": (0, 2 * m + 2),
        "last_exit[*]": (0, 5),
    }


def stage_matches_statements(m, s) -> bool:
    """inclusion: a candidate is at stage backable exactly when its statements back it; only
    seconded or backable candidates carry statements."""
    for para, pp in enumerate(s.paras):
        if pp.stage == Stage.SECONDED or pp.stage == Stage.BACKABLE:
            if pp.statements == 0:
                return False
            if (pp.stage == Stage.BACKABLE) != bool(m.is_backable(pp.statements, para)):
                return False
        elif pp.statements != 0:
            return False
    return True


AUXILIARY_INVARIANTS = (Invariant.of(stage_matches_statements),)


# -- counting abstraction: one availability core as (present, votes, age) ----------------------------


def _trans(m, s, s2, p, sym):
    """Per core: present (st = 1) with votes c and age, or free (st = 0); ``s2["enacted"]``
    is 1 when the step enacted the core's candidate."""
    n = p["n_validators"]
    st, c, age = s["st"], s["c"], s["age"]
    stay = And(s2["st"] == st, s2["c"] == c, s2["age"] == age, s2["enacted"] == 0)
    vote = And(st == 1, c < n, s2["st"] == 1, s2["c"] == c + 1, s2["age"] == age, s2["enacted"] == 0)
    age1 = age + 1
    avail = sym.truth(m.is_available(sym.count(c)))
    timed = sym.truth(m.is_timed_out(sym.int(age1)))
    present = st == 1
    enacted = And(present, avail)
    freed = And(present, Or(avail, timed))
    st1 = ite(freed, 0, st)
    c1 = ite(freed, 0, c)
    a1 = ite(freed, 0, ite(present, age1, age))
    block = And(s2["st"] == st1, s2["c"] == c1, s2["age"] == a1, s2["enacted"] == ite(enacted, 1, 0))
    back = And(st1 == 0, s2["st"] == 1, s2["c"] == 0, s2["age"] == 0, s2["enacted"] == ite(enacted, 1, 0))
    return Or(stay, vote, block, back)


def _init(s):
    return And(s["st"] == 0, s["c"] == 0, s["age"] == 0)


def _inv(m, s, p, sym):
    n = p["n_validators"]
    return And(Or(s["st"] == 0, s["st"] == 1), s["c"] >= 0, s["c"] <= n, s["age"] >= 0,
               Implies(s["st"] == 0, s["c"] == 0))


def _safe(m, s, s2, p, sym):
    return Implies(s2["enacted"] == 1, is_more_than_two_thirds(s["c"], p["n_validators"]))


def _alpha(m, state):
    return [{"st": 0, "c": 0, "age": 0} if core is None else {"st": 1, "c": core.votes.bit_count(), "age": core.age}
            for core in state.cores]


def _alpha_step(m, s, t):
    """The abstract successors of a step: ``alpha`` of the next state, with ``enacted`` = 1
    on each core whose candidate the step enacted."""
    return [dict(b, enacted=_enacted(s, t, i)) for i, b in enumerate(_alpha(m, t))]


def _enacted(s, t, core: int) -> int:
    """Whether the step enacted the candidate on ``core`` (its para's last exit is INCLUDED)."""
    c = s.cores[core]
    if c is None:
        return 0
    p = c.para
    return int(t.exits[p] != s.exits[p] and t.last_exit[p] == Outcome.INCLUDED and t.cores[core] != c)


COUNTING_MODELS = (CountingModel(
    "inclusion_counting_enacted_above_two_thirds", ("INC-7", "AV-6", "TH-2"),
    "For every n ≥ 1 and availability period t ≥ 1: in the counting abstraction of the inclusion machine "
    "(per core: free, or pending with votes 0..n and an age), a candidate is enacted only with more than "
    "2/3 of the n validators' availability bits.",
    {"n_validators": 1, "chain_availability_period": 1},
    _trans, _init, _inv, _safe, _alpha, _alpha_step, ("st", "c", "age", "enacted")),)
