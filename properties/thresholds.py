"""Parametric lemmas on the threshold and scheduling arithmetic (``spec/thresholds.md``).

Facts about ``model.thresholds``, ``model.groups`` and ``model.resilience`` for every
validator count (unbounded integers, not a loop over sizes): each lemma evaluates the
model's own functions on the symbolic integers ``ints("n v")`` makes, so what is proved
is the arithmetic the machines execute. A lemma is a list of obligations
``premises ⇒ goal``; ``paraspec prove`` proves it when every ``premises ∧ ¬goal`` is
unsatisfiable, and refutes it with the values of its variables otherwise.

Functions are looked up in their module when a lemma is built, so a test (or a reader)
can replace one by a wrong variant and watch the lemma fail.
"""

from __future__ import annotations

from paraspec.model import groups as G
from paraspec.model import resilience as R
from paraspec.model import thresholds as T
from paraspec.model.logic import And, Not, Or, ite

from .core import Obligation, lemma

# -- TH-1, TH-2, TH-3: the byzantine threshold and the two quorum fractions ------------------


@lemma("byzantine_threshold_is_largest_tolerated", ["TH-1"])
def _byzantine(ints):
    """For every n ≥ 1, f = byzantine_threshold(n) is the largest f with 3f < n: 0 ≤ f,
    3f < n and 3(f+1) ≥ n."""
    (n,) = ints("n")
    f = T.byzantine_threshold(n)
    return [Obligation("largest f with 3f < n", (n >= 1,), And(f >= 0, 3 * f < n, 3 * (f + 1) >= n))]


@lemma("supermajority_is_more_than_two_thirds", ["TH-2"])
def _supermajority(ints):
    """For every n ≥ 1 and count v: 3v > 2n ⇔ v ≥ supermajority_threshold(n) = n - f, and
    n - f = floor(2n/3) + 1, which lies in [1, n] (so some count reaches it)."""
    n, v = ints("n v")
    sm = T.supermajority_threshold(n)
    return [
        Obligation("3v > 2n  <=>  v >= n - f", (n >= 1,), T.is_more_than_two_thirds(v, n) == (v >= sm)),
        Obligation("n - f = floor(2n/3) + 1", (n >= 1,), sm == (2 * n) / 3 + 1),
        Obligation("1 <= n - f <= n", (n >= 1,), And(1 <= sm, sm <= n)),
    ]


@lemma("more_than_one_third_includes_an_honest_validator", ["TH-3", "TH-1"])
def _one_third(ints):
    """For every n ≥ 1: 3v > n ⇔ v ≥ floor(n/3) + 1, and such a v exceeds f, so with at most
    f byzantine validators at least one of the v is honest."""
    n, v, b = ints("n v byzantine")
    f = T.byzantine_threshold(n)
    return [
        Obligation("3v > n  <=>  v >= floor(n/3) + 1", (n >= 1,), T.is_more_than_one_third(v, n) == (v >= n / 3 + 1)),
        Obligation("more than n/3 exceeds f", (n >= 1, T.is_more_than_one_third(v, n), b >= 0, b <= f), v - b >= 1),
    ]


@lemma("available_implies_reconstructible", ["TH-2", "TH-1"])
def _reconstructible(ints):
    """For every n ≥ 1: more than 2n/3 pieces are more than 2f pieces, the number erasure
    coding needs to reconstruct the blob ([AnV §1.10])."""
    n, v = ints("n v")
    recon = getattr(T, "is_reconstructible", None)
    goal = recon(v, n) if recon is not None else v > 2 * T.byzantine_threshold(n)
    return [Obligation("3v > 2n  =>  v > 2f", (n >= 1, T.is_more_than_two_thirds(v, n)), goal)]


# -- TH-10: quorum intersection ----------------------------------------------------------------


@lemma("supermajorities_share_an_honest_validator", ["TH-10", "TH-2", "TH-1"])
def _intersection(ints):
    """For every n ≥ 1: two sets of validators, each of more than 2n/3, share more than f
    members; so with at most f byzantine validators they share an honest one."""
    n, a, b, both, byz = ints("n a b both byzantine")
    f = T.byzantine_threshold(n)
    sets = (n >= 1, both >= 0, both <= a, both <= b, a + b - both <= n,  # |A ∪ B| <= n
            T.is_more_than_two_thirds(a, n), T.is_more_than_two_thirds(b, n))
    return [
        Obligation("|A ∩ B| > f", sets, both > f),
        Obligation("|A ∩ B| - byzantine >= 1", sets + (byz >= 0, byz <= f), both - byz >= 1),
    ]


# -- TH-11: invalidity escalation ([AnV §1.10.3]) -----------------------------------------------


def _escalation_vars(ints):
    n, v, i, att = ints("n votes_valid votes_invalid attesters")
    dom = (n >= 1, v >= 0, i >= 0, v <= n, i <= n, att >= 0, att <= n, v <= att, i <= att)
    return n, v, i, att, dom


@lemma("escalation_outcomes_exclusive", ["TH-11", "TH-3"])
def _escalation_exclusive(ints):
    """For every n ≥ 1 and vote counts: at most one of the three outcomes of [AnV §1.10.3]
    (valid; invalid; invalid without slashing) holds, and escalation_outcome returns
    exactly that one once more than 2n/3 have attested, and none before."""
    n, v, i, att, dom = _escalation_vars(ints)
    ok = T.is_escalation_valid(v, i, n)
    bad = T.is_escalation_invalid(v, i, n)
    both = T.is_escalation_invalid_no_slash(v, i, n)
    out = T.escalation_outcome(v, i, att, n)
    decided = T.is_escalation_decided(att, n)
    return [
        Obligation("pairwise exclusive", dom, And(Not(And(ok, bad)), Not(And(ok, both)),
                                                     Not(And(bad, both)))),
        Obligation("outcome = the condition that holds", dom + (decided,), And(
            (out == T.ESCALATION_VALID) == ok,
            (out == T.ESCALATION_INVALID) == bad,
            (out == T.ESCALATION_INVALID_NO_SLASH) == both)),
        Obligation("pending until more than 2n/3 attested", dom + (Not(decided),), out == T.ESCALATION_PENDING),
    ]


@lemma("escalation_outcome_total_after_two_thirds", ["TH-11", "TH-2", "TH-3"])
def _escalation_total(ints):
    """For every n ≥ 1: once more than 2n/3 validators have attested (each on at least one
    side), one of the three outcomes holds: the vote always resolves."""
    n, v, i, att, dom = _escalation_vars(ints)
    return [Obligation("some outcome once decided", dom + (att <= v + i, T.is_escalation_decided(att, n)),
                       T.escalation_outcome(v, i, att, n) != T.ESCALATION_PENDING)]


@lemma("dispute_outcome_agrees_with_escalation", ["TH-11"])
def _dispute_agreement(ints):
    """For every n ≥ 1 the seed reading of dispute_outcome equals escalation_outcome."""
    codes = {T.ESCALATION_PENDING: T.OUTCOME_NONE, T.ESCALATION_VALID: T.OUTCOME_VALID,
             T.ESCALATION_INVALID: T.OUTCOME_INVALID, T.ESCALATION_INVALID_NO_SLASH: T.OUTCOME_INVALID_NO_SLASH}
    n, v, i, att, dom = _escalation_vars(ints)
    mine = T.escalation_outcome(v, i, att, n)
    theirs = T.dispute_outcome(v, i, att, n, "seed")
    return [Obligation("same outcome", dom, And(*[(mine == a) == (theirs == b) for a, b in codes.items()]))]


# -- TH-12, TH-13: validator groups and their rotation ([IG §2.5.5]) -------------------------


@lemma("group_sizes_partition_the_validators", ["TH-12"])
def _group_sum(ints):
    """For every V ≥ N ≥ 1: the sizes group_size(V, N, g) of the N groups sum to V. Proved by
    induction on g: the first g groups hold g·(V div N) + min(g, V mod N) validators."""
    V, N, g = ints("validators groups g")
    pre = (N >= 1, V >= N)

    def start(k):
        return k * (V / N) + ite(k < V % N, k, V % N)

    return [
        Obligation("base: no group holds no validator", pre, start(0) == 0),
        Obligation("step: group g adds group_size(g)", pre + (g >= 0, g < N),
                   start(g + 1) == start(g) + G.group_size(V, N, g)),
        Obligation("all N groups hold V validators", pre, start(N) == V),
    ]


@lemma("group_sizes_differ_by_at_most_one", ["TH-12"])
def _group_balance(ints):
    """For every V ≥ N ≥ 1: any two groups differ in size by at most one, and no group is empty."""
    V, N, g1, g2 = ints("validators groups g1 g2")
    pre = (N >= 1, V >= N, g1 >= 0, g1 < N, g2 >= 0, g2 < N)
    s1, s2 = G.group_size(V, N, g1), G.group_size(V, N, g2)
    return [Obligation("|size(g1) - size(g2)| <= 1 and size >= 1", pre, And(s1 - s2 <= 1, s2 - s1 <= 1, s1 >= 1))]


@lemma("rotation_is_a_bijection", ["TH-13"])
def _rotation(ints):
    """For every n ≥ 1 cores and k ≥ 0 rotations: core c ↦ group (c + k) mod n maps the n
    cores onto the n groups one to one (in range, injective, and onto, with the preimage
    (g - k mod n + n) mod n)."""
    n, k, c1, c2, g = ints("n k c1 c2 g")
    pre = (n >= 1, k >= 0)
    core = lambda c: And(c >= 0, c < n)  # noqa: E731
    pre_image = (g - k % n + n) % n
    return [
        Obligation("in range", pre + (core(c1),), core(G.group_of_core(c1, k, n))),
        Obligation("injective", pre + (core(c1), core(c2), c1 != c2),
                   G.group_of_core(c1, k, n) != G.group_of_core(c2, k, n)),
        Obligation("onto", pre + (core(g),), And(core(pre_image), G.group_of_core(pre_image, k, n) == g)),
    ]


# -- TH-4: backing ----------------------------------------------------------------------------------


@lemma("backing_votes_needed_is_least_backable", ["TH-4"])
def _backing(ints):
    """For every group size g ≥ 1 and every reading of the backing rule: a count v backs a
    candidate exactly when v ≥ backing_votes_needed(g), and that number is at most g (a
    full group can always back)."""
    g, v, mbv = ints("group_size votes minimum_backing_votes")
    pre = (g >= 1, v >= 0, mbv >= 1)
    obs = []
    for rule in T.BACKING_THRESHOLDS:
        need = T.backing_votes_needed(g, rule, mbv)
        obs.append(Obligation(f"{rule}: backable <=> v >= needed", pre, T.is_backable(v, g, rule, mbv) == (v >= need)))
        obs.append(Obligation(f"{rule}: 1 <= needed <= g", pre, And(need >= 1, need <= g)))
    return obs


# -- TH-14: PVF pre-checking ------------------------------------------------------------------------


@lemma("pvf_precheck_verdicts_exclusive_and_total", ["TH-14"])
def _precheck(ints):
    """For every n ≥ 1: with each validator voting at most once, the pre-checking accept
    (≥ n - f) and reject (> f) thresholds are never both met, and once every validator
    has voted one of them is."""
    n, acc, rej = ints("n accepts rejects")
    pre = (n >= 1, acc >= 0, rej >= 0, acc + rej <= n)
    a, r = T.is_pvf_precheck_accepted(acc, n), T.is_pvf_precheck_rejected(rej, n)
    return [
        Obligation("not both", pre, Not(And(a, r))),
        Obligation("one once all voted", pre + (acc + rej == n,), Or(a, r)),
    ]


# -- TH-15: halt thresholds ([HALT]) ---------------------------------------------------------------


@lemma("halt_thresholds_consistent", ["TH-15"])
def _halt(ints):
    """For every committee size n ≥ 1: a quorum forms exactly when fewer than
    halt_stall_offline(n) = f + 1 members are offline; the safety threshold lies above
    the quorum (and, for n ≥ 4, within the committee); two quorums share an honest member."""
    n, active, a, b, both = ints("n active a b both")
    f = T.byzantine_threshold(n)
    pre = (n >= 1, active >= 0, active <= n)
    q = T.halt_quorum(n)
    return [
        Obligation("quorum <=> offline < stall count", pre,
                   T.has_halt_quorum(active, n) == (n - active < T.halt_stall_offline(n))),
        Obligation("quorum < safety threshold", (n >= 1,), q < T.halt_safety_threshold(n)),
        Obligation("safety threshold <= n for n >= 4", (n >= 4,), T.halt_safety_threshold(n) <= n),
        Obligation("two quorums share more than f", (n >= 1, both >= 0, both <= a, both <= b, a + b - both <= n,
                                                    T.has_halt_quorum(a, n), T.has_halt_quorum(b, n)), both > f),
    ]


@lemma("halt_committee_is_127", ["TH-15"])
def _halt_committee(ints):
    """[HALT]'s figures determine the committee: for every n ≥ 1, quorum 85 with 43 offline
    members the least that stall it holds exactly when n = 127 (safety threshold 86)."""
    (n,) = ints("n")
    cond = And(T.halt_quorum(n) == 85, T.halt_stall_offline(n) == 43)
    return [
        Obligation("quorum 85 and stall at 43 <=> n = 127", (n >= 1,), cond == (n == 127)),
        Obligation("safety threshold of 127 is 86", (n == 127,), T.halt_safety_threshold(n) == 86),
    ]


@lemma("multisig_approvals_intersect", ["TH-15"])
def _multisig(ints):
    """For every k-of-m multisig with 2k > m ([HALT]: 7 of 12): two approved messages (a halt
    and a resume, say) share a signer."""
    m, k, a, b, both = ints("members threshold a b both")
    pre = (m >= 1, k >= 1, k <= m, 2 * k > m, both >= 0, both <= a, both <= b, a + b - both <= m,
           R.is_multisig_approved(a, k, m), R.is_multisig_approved(b, k, m))
    return [Obligation("some common signer", pre, both >= 1)]
