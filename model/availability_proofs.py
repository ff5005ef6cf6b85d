"""What proofs need to know of the availability machine ([AnV §1.7]): the bounds of
its state's values, the auxiliary invariant its k-induction needs, and its counting
abstraction over vote counts. Declared through the machine contract
(:meth:`AvailabilityMachine.symbolic_domain` and the other hooks of
:class:`~paraspec.model.core.Machine`); :mod:`paraspec.model.proofs` says what each
shape means.
"""

from __future__ import annotations

from .availability import ParaAvailability, SignBitfield, Status
from .logic import And, Implies, Or, ite, max_
from .proofs import CountingModel, Invariant
from .thresholds import is_more_than_two_thirds

__all__ = ["symbolic_domain", "AUXILIARY_INVARIANTS", "COUNTING_MODELS", "VALIDATOR_ARGS"]


def symbolic_domain(c) -> dict[str, tuple[int, int]]:
    """Bounds of every integer leaf of a state (by leaf pattern), for the parameters ``c``."""
    n, t, m = c.n_validators, c.chain_availability_period, c.max_candidates
    return {
        "paras[*].votes": (0, (1 << n) - 1),
        "paras[*].age": (0, t + 1),
        "paras[*].noted": (0, m),
        "paras[*].enacted": (0, (1 << m) - 1),
        "paras[*].timed_out": (0, (1 << m) - 1),
        "signed": (0, n),
    }


def serials_consistent(m, s):
    """availability: a para's outcome bits name only candidates noted so far (at most
    max_candidates, the exploration bound); the candidate to be determined has no outcome
    yet, an available one is enacted, an unavailable one timed out."""
    S = Status
    out = []
    for p in s.paras:
        seen = p.enacted | p.timed_out
        bit = 1 << max_(p.noted - 1, 0)
        out.append(And(p.noted <= m.config.max_candidates, seen < (1 << p.noted), Or(p.status == S.NO_CANDIDATE, And(
            p.noted >= 1,
            Implies(p.status == S.TO_BE_DETERMINED, seen & bit == 0),
            Implies(p.status == S.AVAILABLE, And(p.enacted & bit != 0, p.timed_out & bit == 0)),
            Implies(p.status == S.UNAVAILABLE, And(p.timed_out & bit != 0, p.enacted & bit == 0))))))
    return And(*out)


AUXILIARY_INVARIANTS = (Invariant.of(serials_consistent),)

#: the action fields that name one validator in a well-formed bitfield (the validator and its
#: signer): the wide proofs (``checker.symbolic.wide``) stand one template with a symbolic
#: validator for the bitfields of every validator, so the relation's size does not grow with N
VALIDATOR_ARGS = ((SignBitfield, ("validator", "signer")),)


# -- counting abstraction: one para's candidate as (status, votes, age) -----------------------------


def _para(sym, st, c, age) -> ParaAvailability:
    return ParaAvailability(status=sym.int(st), votes=sym.count(c), age=sym.int(age))


def _trans(m, s, s2, p, sym):
    n = p["n_validators"]
    st, c, age = s["st"], s["c"], s["age"]
    para = _para(sym, st, c, age)
    stay = And(s2["st"] == st, s2["c"] == c, s2["age"] == age)
    # a bitfield with the para's bit from a validator not counted yet (AV-9: only while
    # the rule lets the bit count)
    vote = And(sym.truth(m.counts_bit(para)), c < n, s2["st"] == st, s2["c"] == c + 1, s2["age"] == age)
    # a block ends (Algorithm 10 steps 2-5, as end_block does per para)
    decided = Or(st == int(Status.AVAILABLE), st == int(Status.UNAVAILABLE))
    tbd = st == int(Status.TO_BE_DETERMINED)
    age1 = age + 1
    avail = sym.truth(m.is_available(sym.count(c)))
    timed = sym.truth(m.is_timed_out(sym.int(age1)))
    st1 = ite(decided, int(Status.NO_CANDIDATE),
              ite(tbd, ite(avail, int(Status.AVAILABLE), ite(timed, int(Status.UNAVAILABLE), st)), st))
    c1 = ite(decided, 0, c)
    a1 = ite(decided, 0, ite(tbd, age1, age))
    end = And(s2["st"] == st1, s2["c"] == c1, s2["age"] == a1)
    may = sym.truth(m.may_note(_para(sym, st1, c1, a1)))
    end_note = And(may, s2["st"] == int(Status.TO_BE_DETERMINED), s2["c"] == 0, s2["age"] == 0)
    return Or(stay, vote, end, end_note)


def _init(s):
    return And(s["st"] == int(Status.NO_CANDIDATE), s["c"] == 0, s["age"] == 0)


def _inv(m, s, p, sym):
    n = p["n_validators"]
    st, c = s["st"], s["c"]
    return And(st >= 0, st <= 3, c >= 0, c <= n, s["age"] >= 0,
               Implies(st == int(Status.AVAILABLE), sym.truth(is_more_than_two_thirds(c, n))))


def _safe(m, s, s2, p, sym):
    return Implies(s2["st"] == int(Status.AVAILABLE), is_more_than_two_thirds(s2["c"], p["n_validators"]))


def _alpha(m, state):
    return [{"st": int(p.status), "c": p.votes.bit_count(), "age": p.age} for p in state.paras]


def _inv_timeout(m, s, p, sym):
    n, t = p["n_validators"], p["chain_availability_period"]
    st, c, age = s["st"], s["c"], s["age"]
    return And(st >= 0, st <= 3, c >= 0, c <= n, age >= 0,
               Implies(st == int(Status.TO_BE_DETERMINED), age < t))


def _safe_timeout(m, s, s2, p, sym):
    return Implies(s2["st"] == int(Status.TO_BE_DETERMINED), s2["age"] < p["chain_availability_period"])


COUNTING_MODELS = (CountingModel(
    "availability_counting_available_above_two_thirds", ("AV-6", "AV-9", "TH-2"),
    "For every n ≥ 1 and availability period t ≥ 1: in the counting abstraction of the availability "
    "machine (status, votes 0..n, age per candidate), a candidate is available only with more than 2/3 "
    "of the n validators' bits.",
    {"n_validators": 1, "chain_availability_period": 1},
    _trans, _init, _inv, _safe, _alpha), CountingModel(
    "availability_counting_undetermined_within_timeout", ("AV-7",),
    "For every n ≥ 1 and availability period t ≥ 1: in the counting abstraction of the availability "
    "machine, a candidate stays to be determined for fewer than t blocks of voting (it is decided, "
    "available or timed out, at the end of its t-th block).",
    {"n_validators": 1, "chain_availability_period": 1},
    _trans, _init, _inv_timeout, _safe_timeout, _alpha),)
