"""Parametric lemmas: proved for every n, and refuted when the arithmetic they are about is broken."""

import pytest

import paraspec.model.groups as G
import paraspec.model.resilience as R
import paraspec.model.thresholds as T
from paraspec.checker.registry import build, load_all
from paraspec.checker.symbolic.lemmas import all_lemmas, counting_lemma, get_lemma
from paraspec.checker.spec import load_rules
from paraspec.model.logic import And, Not, div, ite, max_, mod
from paraspec.properties.core import MUTANTS

load_all()
LEMMAS = all_lemmas()


def test_lemma_catalogue():
    names = [lm.name for lm in LEMMAS]
    assert len(names) == len(set(names)) >= 17
    rules = load_rules()
    for lm in LEMMAS:
        assert lm.rules and all(r in rules for r in lm.rules), lm.name
        assert lm.doc, lm.name
    # the list: thresholds, intersection, escalation, groups, rotation, pre-checking, halts, counting
    for needed in ("supermajority_is_more_than_two_thirds", "supermajorities_share_an_honest_validator",
                   "escalation_outcomes_exclusive", "escalation_outcome_total_after_two_thirds",
                   "group_sizes_partition_the_validators", "group_sizes_differ_by_at_most_one",
                   "rotation_is_a_bijection", "pvf_precheck_verdicts_exclusive_and_total",
                   "halt_thresholds_consistent", "availability_counting_available_above_two_thirds",
                   "inclusion_counting_enacted_above_two_thirds"):
        assert needed in names


@pytest.mark.parametrize("lemma", LEMMAS, ids=lambda lm: lm.name)
def test_lemma_proved_for_every_n(lemma):
    r = lemma.prove(timeout=300)
    assert r.verdict.status == "proved", (lemma.name, str(r.verdict))
    assert r.verdict.k is None  # not a bounded result


# each wrong variant of the arithmetic must make its lemma fail with a counterexample
BROKEN = [
    ("byzantine_threshold_is_largest_tolerated", T, "byzantine_threshold", lambda n: div(max_(n, 0), 3)),
    ("supermajority_is_more_than_two_thirds", T, "supermajority_threshold", lambda n: n - T.byzantine_threshold(n) + 1),
    ("more_than_one_third_includes_an_honest_validator", T, "is_more_than_one_third", lambda v, n: 3 * v >= n),
    ("supermajorities_share_an_honest_validator", T, "is_more_than_two_thirds", lambda v, n: 2 * v > n),
    ("available_implies_reconstructible", T, "is_more_than_two_thirds", lambda v, n: 2 * v > n),
    ("escalation_outcomes_exclusive", T, "is_escalation_valid", lambda v, i, n: T.is_more_than_one_third(v, n)),
    ("escalation_outcome_total_after_two_thirds", T, "is_escalation_decided", lambda a, n: 3 * a > n),
    ("group_sizes_partition_the_validators", G, "group_size",
     lambda V, N, g: ite(g <= mod(V, N), div(V, N) + 1, div(V, N))),
    ("group_sizes_differ_by_at_most_one", G, "group_size", lambda V, N, g: ite(g < mod(V, N), div(V, N) + 2, div(V, N))),
    ("rotation_is_a_bijection", G, "group_of_core", lambda c, k, n: mod(2 * c + k, n)),
    ("backing_votes_needed_is_least_backable", T, "backing_votes_needed",
     lambda g, rule, mbv=2: div(g, 2) if rule == "majority" else T.__dict__["_orig_needed"](g, rule, mbv)),
    ("pvf_precheck_verdicts_exclusive_and_total", T, "is_pvf_precheck_rejected",
     lambda r, n: r >= T.byzantine_threshold(n)),
    ("halt_thresholds_consistent", T, "halt_stall_offline", lambda n: T.byzantine_threshold(n)),
    ("halt_committee_is_127", T, "halt_quorum", lambda n: n - T.byzantine_threshold(n) - 1),
    ("multisig_approvals_intersect", R, "is_multisig_approved", lambda s, k, size: s >= k - 1),
    ("dispute_outcome_agrees_with_escalation", T, "dispute_outcome",
     lambda vf, va, att, n, rule="seed": T.escalation_outcome(vf, va, att + 1, n)),
]


@pytest.mark.parametrize("name,module,attr,wrong", BROKEN, ids=[b[0] for b in BROKEN])
def test_lemma_refuted_when_arithmetic_is_broken(monkeypatch, name, module, attr, wrong):
    monkeypatch.setitem(T.__dict__, "_orig_needed", T.backing_votes_needed)
    monkeypatch.setattr(module, attr, wrong)
    r = get_lemma(name).prove(timeout=300)
    assert r.verdict.status == "counterexample", (name, str(r.verdict))
    assert r.verdict.assignment  # the values that refute it


def test_every_broken_variant_targets_a_lemma():
    assert {b[0] for b in BROKEN} <= {lm.name for lm in LEMMAS}
    # all but the three counting lemmas, refuted on mutants below
    assert len({b[0] for b in BROKEN}) == len(LEMMAS) - 3


def test_halt_committee_counterexample_names_the_size():
    """[HALT]'s figures with another committee size would be refuted by an n."""
    r = get_lemma("halt_committee_is_127").prove()
    assert r.ok
    assert T.halt_quorum(127) == 85 and T.halt_stall_offline(127) == 43 and T.halt_safety_threshold(127) == 86
    assert T.halt_quorum(126) == 85 and T.halt_stall_offline(126) != 43


@pytest.mark.parametrize("mutant,status", [
    ("av_threshold_ge", "counterexample"), ("av_threshold_half", "counterexample"),
    ("inc_threshold_half", "counterexample"), ("av_timeout_off_by_one", "proved"),
    ("av_note_over_pending", "unknown"),  # its rule branches (`in`): the abstraction says so, loudly
])
def test_counting_lemma_on_mutants(mutant, status):
    mu = MUTANTS[mutant]
    cm = mu.cls.counting_models()[0]  # the threshold's abstraction
    r = counting_lemma(cm, mu.cls).prove(timeout=300)
    assert r.verdict.status == status, str(r.verdict)
    if status == "counterexample":
        a = r.verdict.assignment
        n, c = a["n_validators"], a["s.c"]
        assert not 3 * c > 2 * n  # enacted / available without more than 2/3
        assert 1 <= n <= 6  # a small instance, which the bit-level machines also exhibit


def test_timeout_counting_lemma_refutes_the_late_timeout():
    """The second availability abstraction (AV-7, every n and t) is proved on the machine and
    refuted on the mutant whose timeout fires one block late."""
    cm = next(c for c in MUTANTS["av_timeout_off_by_one"].cls.counting_models() if "AV-7" in c.rules)
    assert counting_lemma(cm, MUTANTS["av_timeout_off_by_one"].cls).prove(timeout=300).verdict.status == "counterexample"
    base = type(build("availability"))
    assert counting_lemma(cm, base).prove(timeout=300).verdict.status == "proved"


def test_dispute_outcome_agreement_joins_when_present(monkeypatch):
    """A lemma proves ``dispute_outcome`` (seed reading) equals ``escalation_outcome``; a
    disagreeing one is refuted."""
    codes = dict(OUTCOME_NONE=0, OUTCOME_VALID=1, OUTCOME_INVALID=2, OUTCOME_INVALID_NO_SLASH=3)
    for k, v in codes.items():
        monkeypatch.setattr(T, k, v, raising=False)

    def same(v, i, a, n, rule="seed"):
        return T.escalation_outcome(v, i, a, n)

    monkeypatch.setattr(T, "dispute_outcome", same, raising=False)
    lm = next(lm for lm in all_lemmas() if lm.name == "dispute_outcome_agrees_with_escalation")
    assert lm.prove().ok

    def wrong(v, i, a, n, rule="seed"):  # forgets that nothing is decided before 2n/3 attested
        return ite(And(T.is_more_than_one_third(v, n), Not(T.is_more_than_one_third(i, n))), 1,
                   ite(T.is_more_than_one_third(i, n), ite(T.is_more_than_one_third(v, n), 3, 2), 0))

    monkeypatch.setattr(T, "dispute_outcome", wrong)
    lm = next(lm for lm in all_lemmas() if lm.name == "dispute_outcome_agrees_with_escalation")
    assert lm.prove().verdict.status == "counterexample"


def test_lemma_timeout_is_unknown_not_proved():
    lm = get_lemma("rotation_is_a_bijection")
    r = lm.prove(timeout=1e-9)
    assert r.verdict.status == "unknown"
    assert not r.ok
