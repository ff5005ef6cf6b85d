"""Disputes in the composed runtime: the dispute statement sets of the inclusion inherent
(rules INC-32, INC-33 of ``spec/inclusion_runtime.md``; polkadot-sdk ``disputes.rs`` and
``paras_inherent``, whose inherent carries ``disputes`` beside the bitfields and the backed
candidates).

The rules that decide a dispute are those of the ``disputes`` machine (``model/disputes.py``),
called here, never written again: the outcome is DSP-5's escalation rule
(``model.thresholds.dispute_outcome`` under ``dispute_rule``, which
``DisputesMachine.compute_outcome`` applies too); DSP-9 bounds the sessions a statement may be
about; the revert and its timing follow DSP-7 (reading ``seed``: when the dispute's window
closes, after which no block builds on the chain) and DSP-13 (reading ``sdk``: at once, and the
chain is frozen: its inherent then carries disputes only). The window of a runtime dispute is
0 blocks (decision INC-D29), so under ``seed`` the revert comes at the next block's
initialization of the Validity module.

A candidate is named by its para and the block that backed it (``backed_in``), which stands
for its CandidateHash: one candidate per para per block. The runtime notes every candidate it
backs with the session (sdk ``disputes::Included``); a dispute names one of those, of the
current or the previous session (DSP-9, DSP-D3).
"""

from __future__ import annotations

import attrs

from ..core import require
from ..disputes import is_sdk_freeze_triggered
from ..escalation import INVALID_OUTCOMES
from ..readings import is_sdk
from ..rules import implements
from ..thresholds import OUTCOME_NONE, OUTCOME_VALID, dispute_outcome, is_dispute_session_kept
from .common import mget, mset, replace

__all__ = ["DisputeStatementSet", "DisputeState", "RuntimeDisputesModule", "DISPUTE_SESSIONS"]

#: sessions back a candidate can be disputed (DSP-9, DSP-D3: one session beyond)
DISPUTE_SESSIONS = 1


@attrs.frozen
class DisputeStatementSet:
    """One dispute statement set of the inclusion inherent (polkadot-sdk ``DisputeStatementSet``).

    The candidate is the one of para ``para`` backed in block ``backed_in`` (the pair stands for
    its CandidateHash); ``session`` is the session it was backed in (the session of the
    statements, sdk ``DisputeStatementSet.session``). ``valid`` and ``invalid`` are bitmasks
    over the session's validators: bit ``v`` (value ``2**v``) set = ValidatorIndex ``v`` states
    the candidate valid (resp. invalid); signatures are not modelled (a statement is its
    validator's). A set may add votes to a dispute already open; one that opens a dispute must
    carry an invalidity statement.
    """

    #: the para of the disputed candidate
    para: int
    #: the block whose inherent backed it (with ``para``: its CandidateHash)
    backed_in: int
    #: the session it was backed in: the current one or the one before (DSP-9)
    session: int
    #: bitmask over the session's validators: bit v set = ValidatorIndex v states the candidate valid
    valid: int = 0
    #: bitmask over the session's validators: bit v set = ValidatorIndex v states it invalid
    invalid: int = 0


@attrs.frozen
class DisputeState:
    """A dispute's record in the runtime (polkadot-sdk ``DisputeState``, storage ``Disputes``)."""

    #: bitmask over the session's validators: bit v = ValidatorIndex v stated valid
    votes_for: int
    #: bitmask over the session's validators: bit v = ValidatorIndex v stated invalid
    votes_against: int
    #: the block whose inherent opened the dispute
    start: int
    #: the block in which it concluded (reached an outcome), null while it has none
    concluded_at: int | None = None
    #: the outcome code (``model.thresholds``): 0 none, 1 valid, 2 invalid, 3 invalid with no slash
    #: (``dispute_rule=seed``, both sides above n/3), 4 both sides reached a supermajority (``sdk``)
    outcome: int = OUTCOME_NONE


class RuntimeDisputesModule:
    """Rule methods and routines of disputes in the runtime (a mixin of the composed runtime)."""

    @implements("DSP-5")
    def compute_dispute_outcome(self, d: DisputeState, n_validators: int, cfg) -> int:
        """DSP-5: the escalation rule of ``dispute_rule`` decides (the disputes machine's rule)."""
        attesters = (d.votes_for | d.votes_against).bit_count()
        return dispute_outcome(d.votes_for.bit_count(), d.votes_against.bit_count(), attesters, n_validators,
                               cfg.dispute_rule)

    @implements("DSP-13")
    def is_revert_at_conclusion(self, cfg) -> bool:
        """DSP-13: under reading=sdk the chain reverts and freezes as soon as more than f
        validators vote against a candidate it backed (``is_freeze_triggered``), not when the
        dispute's window closes (DSP-7, reading=seed)."""
        return is_sdk(cfg)

    @implements("DSP-13")
    def is_freeze_triggered(self, n_validators: int, against_before: int, against_after: int) -> bool:
        """DSP-13 (reading=sdk): one block's statements newly put more than f validators against
        the candidate (sdk ``AGAINST_BYZANTINE``); the disputes machine's rule."""
        return is_sdk_freeze_triggered(n_validators, against_before, against_after)

    @implements("INC-32", "DSP-9")
    def check_dispute_set(self, st, ds: DisputeStatementSet, seen: set) -> None:
        """INC-32 (DSP-9): a dispute statement set names a candidate this chain backed in the
        current or the previous session, once per block, with statements of the session's
        validators, none on both sides; a set that opens a dispute states invalidity."""
        n = len(st.validators)
        require(is_dispute_session_kept(ds.session, st.session, DISPUTE_SESSIONS), "DSP-9",
                f"statements of session {ds.session} are not accepted in session {st.session}")
        key = (ds.session, ds.para, ds.backed_in)
        require(key in st.disputable, "INC-32",
                f"no candidate of para {ds.para} backed in block {ds.backed_in} (session {ds.session}) on this chain")
        require(key not in seen, "INC-32", f"a second statement set on para {ds.para}'s candidate in one block")
        require(ds.valid >= 0 and ds.invalid >= 0 and (ds.valid | ds.invalid) >> n == 0, "INC-32",
                f"a statement by a validator outside the session's {n}")
        require(ds.valid | ds.invalid, "INC-32", "a statement set with no statement")
        require(ds.valid & ds.invalid == 0, "INC-32", "a validator states both valid and invalid in one set")
        require(mget(st.disputes, key) is not None or ds.invalid, "INC-32",
                "a statement set that opens a dispute must state invalidity")

    @implements("INC-32", "INC-33")
    def process_inherent_disputes(self, st, sets: tuple) -> tuple:
        """INC-32, INC-33: the inherent's dispute statement sets, first: the votes are recorded,
        the outcome decided (DSP-5); then a dispute whose votes against newly exceed f reverts and
        freezes the chain at once (DSP-13, reading=sdk: its candidates stay where they are; polkadot-sdk
        ``process_checked_dispute_data`` on ``AGAINST_BYZANTINE``), or (reading=seed) a dispute concluded invalid has its
        candidate still pending availability is dropped and its core freed, the revert waiting for
        the window to close (DSP-7). Returns the state and the freed cores (ascending)."""
        cfg = st.configuration.current
        n = len(st.validators)
        events = list(st.events)
        events.append("inherent:disputes")
        disputes = st.disputes
        seen: set = set()
        triggered = []
        for ds in sets:
            self.check_dispute_set(st, ds, seen)
            key = (ds.session, ds.para, ds.backed_in)
            seen.add(key)
            d = mget(disputes, key)
            if d is None:
                d = DisputeState(0, 0, st.now)
                events.append(f"dispute_initiated:{ds.para}:{ds.backed_in}")
            before = d.votes_against.bit_count()
            d = replace(d, votes_for=d.votes_for | ds.valid, votes_against=d.votes_against | ds.invalid)
            if self.is_freeze_triggered(n, before, d.votes_against.bit_count()):
                triggered.append(key)
            outcome = self.compute_dispute_outcome(d, n, cfg)
            if d.outcome == OUTCOME_NONE and outcome != OUTCOME_NONE:
                d = replace(d, concluded_at=st.now)
                word = "valid" if outcome == OUTCOME_VALID else "invalid"
                events.append(f"dispute_concluded:{ds.para}:{ds.backed_in}:{word}")
            disputes = mset(disputes, key, replace(d, outcome=outcome))
        st = replace(st, disputes=disputes, events=tuple(events))
        if self.is_revert_at_conclusion(cfg):
            return self.revert_to(st, triggered), ()
        return self.collect_disputed(st)

    @implements("INC-33")
    def collect_disputed(self, st) -> tuple:
        """INC-33 (reading=seed): drop every candidate pending availability whose dispute
        concluded invalid (sdk ``free_disputed``, which a frozen chain never reaches). Returns the
        state and the freed cores."""
        invalid = [k for k, d in st.disputes if d.outcome in INVALID_OUTCOMES]
        pending = st.inclusion.pending
        freed = []
        events = list(st.events)
        for _, para, backed_in in invalid:
            cpa = mget(pending, para)
            if cpa is not None and cpa.backed_in == backed_in:
                pending = tuple(kv for kv in pending if kv[0] != para)
                freed.append(cpa.core)
                events.append(f"dispute_freed:{para}")
        st = replace(st, inclusion=replace(st.inclusion, pending=pending), events=tuple(events))
        return st, tuple(sorted(freed))

    @implements("DSP-7", "INC-33")
    def revert_to(self, st, invalid: list) -> object:
        """DSP-7: the chain reverts to the last block before the earliest inclusion of a candidate
        found invalid (sdk ``Frozen`` and the ``Revert`` digest); a chain already reverted keeps
        its point unless this one is earlier (sdk ``revert_and_freeze``)."""
        if not invalid:
            return st
        point = min(backed_in for _, _, backed_in in invalid) - 1
        if st.frozen is not None and st.frozen <= point:
            return st
        return replace(st, frozen=point, events=st.events + (f"revert:{point}",))

    @implements("DSP-6", "DSP-7")
    def close_dispute_windows(self, st) -> object:
        """DSP-6, DSP-7 (reading=seed): at a block's initialization, the disputes concluded in an
        earlier block have their window (0 blocks) closed; one concluded invalid reverts the chain."""
        if self.is_revert_at_conclusion(st.configuration.current):
            return st
        closed = [k for k, d in st.disputes if d.outcome in INVALID_OUTCOMES and d.concluded_at < st.now]
        return self.revert_to(st, closed)

    @implements("DSP-7")
    def may_build_on(self, st) -> bool:
        """DSP-7 (reading=seed): no block builds on a chain that was reverted; under sdk the
        frozen chain goes on, its inherents carrying disputes only."""
        return st.frozen is None or self.is_revert_at_conclusion(st.configuration.current)

    def note_backed(self, st, paras: list) -> object:
        """Note the candidates the block backed as disputable (sdk ``note_included``)."""
        if not paras:
            return st
        new = tuple((st.session, p, st.now) for p in paras)
        return replace(st, disputable=tuple(sorted(st.disputable + new)))

    def prune_disputes(self, st) -> object:
        """At a session change: forget candidates and disputes older than DSP-9 allows."""
        low = st.session - DISPUTE_SESSIONS
        return replace(st, disputable=tuple(k for k in st.disputable if k[0] >= low),
                       disputes=tuple(kv for kv in st.disputes if kv[0][0] >= low))
