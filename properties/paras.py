"""Properties and mutants of the ``paras`` machine (spec/paras.md).

The code properties compare ``validation_code_at`` with the ghost history of every
code replacement (``ParasState.replacements``, never pruned): the code in force in
the context of relay block ``at`` is the one replaced by the first replacement
expected at or after ``at``, else the current code; it must be returned while that
replacement is within its acceptance period, and never once it is pruned.
"""

from __future__ import annotations

import functools

from paraspec.model.core import Rejected
from paraspec.model.runtime.common import mdel, mget, mhas, replace
from paraspec.model.runtime.paras import DeregisterPara, ParasBlock, ParasMachine, ParasState, PastCodeMeta, ValidationCodeQuery

from .core import always, mutant, sometimes, transition

M = "paras"


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


def _due(ps: ParasState, session: int) -> set[int]:
    """The paras whose registration or cleanup is queued for ``session``."""
    return {p for at, p in ps.actions_queue if at == session}


def _live(ps: ParasState) -> set[int]:
    return set(ps.parachains) | set(ps.parathreads)


def spec_session_delay(m) -> int:
    """PAR-10, stated apart from the model: sdk's ``SESSION_DELAY`` (2) under
    ``reading=sdk``, the next session ([IG §2.5.4]) under ``reading=seed``."""
    return 2 if getattr(m.params, "reading", "seed") == "sdk" else 1


def known_paras(ps: ParasState) -> set[int]:
    return set(ps.parachains) | set(ps.parathreads) | {r.para for r in ps.replacements}


def is_pruned(activated_at: int, now: int, acceptance_period: int) -> bool:
    """The spec's pruning condition (PAR-7), stated independently of the model's method."""
    return activated_at + acceptance_period < now


def _sdk(m) -> bool:
    return getattr(m.params, "reading", "seed") == "sdk"


def replaced_in_force(sdk: bool, r, at: int) -> bool:
    """PAR-6 stated apart from the model (decision PAR-D7): a context ``at`` is validated by
    the code ``r`` replaced when ``at <= expected_at`` ([IG §2.5.4] ``UseCodeAt``, reading
    seed), when ``at < activated_at`` (polkadot-sdk's ``code_at`` of the period whose
    ``last_pruned`` records the activation, reading sdk)."""
    return at < r.activated_at if sdk else at <= r.expected_at


def last_context_of(sdk: bool, r) -> int:
    """The last context validated by the code ``r`` replaced (if no earlier replacement covers it)."""
    return r.activated_at - 1 if sdk else r.expected_at


def expected_code_at(ps: ParasState, para: int, at: int, now: int, acceptance_period: int,
                     sdk: bool = False) -> tuple[int | None, bool]:
    """The code in force for ``para`` in the context of block ``at`` according to the
    history (under the reading's boundary), and whether it has been pruned."""
    for r in ps.replacements:
        if r.para == para and replaced_in_force(sdk, r, at):
            return r.old_code, is_pruned(r.activated_at, now, acceptance_period)
    return mget(ps.code, para), False


#: the code properties below are pure functions of the machine (hashed by identity, so a
#: mutant's answers are its own) and the paras storage at a height; many states of a search
#: share those (the runtime at its default preset: 745 distinct among 83,445 states), so the
#: verdicts are memoized
_HISTORY_MEMO = 1 << 13


@functools.lru_cache(maxsize=_HISTORY_MEMO)
def code_history_agrees(m, ps: ParasState, now: int, acceptance_period: int) -> bool:
    for para in known_paras(ps):
        for at in range(1, now + 1):
            code, pruned = expected_code_at(ps, para, at, now, acceptance_period, _sdk(m))
            if m.get_validation_code_at(ps, para, at) != (None if pruned else code):
                return False
    return True


@functools.lru_cache(maxsize=_HISTORY_MEMO)
def pruned_codes_absent(m, ps: ParasState, now: int, acceptance_period: int) -> bool:
    for para in known_paras(ps):
        gone = {r.old_code for r in ps.replacements
                if r.para == para and is_pruned(r.activated_at, now, acceptance_period)}
        kept = {r.old_code for r in ps.replacements
                if r.para == para and not is_pruned(r.activated_at, now, acceptance_period)}
        gone -= kept | {mget(ps.code, para), mget(ps.future_code, para)}
        for at in range(1, now + 1):
            if m.get_validation_code_at(ps, para, at) in gone:
                return False
    return True


def some_pruned(ps: ParasState, now: int, acceptance_period: int) -> bool:
    return any(is_pruned(r.activated_at, now, acceptance_period) for r in ps.replacements)


# -- invariants -------------------------------------------------------------------------------


@always(M, ["PAR-6", "PAR-8", "PAR-9"], witness=lambda m, s: some_pruned(s.paras, s.now, m.acceptance_period))
def validation_code_matches_history(m, s):
    """``validation_code_at(para, at)`` is the code in force at ``at`` while it is kept,
    and nothing once pruned."""
    return code_history_agrees(m, s.paras, s.now, m.acceptance_period)


@always(M, ["PAR-8", "PAR-7"], witness=lambda m, s: some_pruned(s.paras, s.now, m.acceptance_period))
def pruned_code_never_returned(m, s):
    """Code whose acceptance period is over is never returned for any context."""
    return pruned_codes_absent(m, s.paras, s.now, m.acceptance_period)


@always(M, ["PAR-9", "PAR-5"], witness=lambda m, s: any(
    not is_pruned(r.activated_at, s.now, m.acceptance_period) and r.activated_at < s.now for r in s.paras.replacements))
def past_code_kept_for_acceptance_period(m, s):
    """Replaced code is still returned for a context before its replacement until its
    acceptance period is over."""
    ps = s.paras
    for r in ps.replacements:
        if not is_pruned(r.activated_at, s.now, m.acceptance_period):
            if m.get_validation_code_at(ps, r.para, last_context_of(_sdk(m), r)) != r.old_code:
                return False
    return True


def last_pruned_agrees(m, ps: ParasState, now: int, acceptance_period: int) -> bool:
    """Every para's ``last_pruned`` is the reading's block of its last pruned replacement
    in the ghost history (PAR-7, decision PAR-D7), and absent while none is pruned."""
    for para, meta in ps.past_code_meta:
        gone = [r for r in ps.replacements if r.para == para and is_pruned(r.activated_at, now, acceptance_period)]
        want = None if not gone else (gone[-1].activated_at if _sdk(m) else gone[-1].expected_at)
        if meta.last_pruned != want:
            return False
    return True


@always(M, ["PAR-7"], witness=lambda m, s: any(r.expected_at != r.activated_at
                                               and is_pruned(r.activated_at, s.now, m.acceptance_period)
                                               for r in s.paras.replacements))
def last_pruned_records_the_reading_s_block(m, s):
    """``last_pruned`` records the last pruned replacement's ``expected_at`` under
    reading=seed and its ``activated_at`` under reading=sdk (PAR-D7)."""
    return last_pruned_agrees(m, s.paras, s.now, m.acceptance_period)


@always(M, ["PAR-6"], witness=lambda m, s: any(at < s.now for _, at in s.paras.future_code_upgrades))
def future_code_with_intermediate(m, s):
    """Assuming an intermediate parablock at or after a scheduled upgrade's
    ``expected_at``, the future code is returned; ``assume_intermediate`` not before
    ``at`` returns nothing."""
    ps = s.paras
    for para, at in ps.future_code_upgrades:
        if at < s.now and m.get_validation_code_at(ps, para, s.now, at) != mget(ps.future_code, para):
            return False
        if m.get_validation_code_at(ps, para, at, at) is not None:
            return False
    return True


@always(M, ["PAR-3"], witness=lambda m, s: len(s.paras.parachains) + len(s.paras.parathreads) != 2)
def registry_consistent(m, s):
    """Parachains are ascending and disjoint from parathreads; heads and code exist
    exactly for the live paras."""
    ps = s.paras
    live = set(ps.parachains) | set(ps.parathreads)
    return (list(ps.parachains) == sorted(set(ps.parachains))
            and not set(ps.parachains) & set(ps.parathreads)
            and {k for k, _ in ps.heads} == live and {k for k, _ in ps.code} == live)


# -- transition properties ----------------------------------------------------------------------


def _notes_upgraded_para(m, s, a):
    return a.para is not None and mhas(s.paras.future_code_upgrades, a.para) and not a.session_change


@transition(M, ["PAR-5"], on=[ParasBlock], witness=lambda m, s, a, t: _accepted(t) and _notes_upgraded_para(m, s, a))
def upgrade_applied_from_expected_block(m, s, a, t):
    """A head noted for a para with a scheduled upgrade applies it exactly when the
    head's relay parent is at or after the upgrade's ``expected_at``."""
    if not (_accepted(t) and _notes_upgraded_para(m, s, a)):
        return True
    expected_at = mget(s.paras.future_code_upgrades, a.para)
    relay_parent = t.now - 1
    applied = mget(t.paras.code, a.para) == mget(s.paras.future_code, a.para) \
        and not mhas(t.paras.future_code_upgrades, a.para)
    return applied == (relay_parent >= expected_at)


@transition(M, ["PAR-4"], on=[ParasBlock], witness=lambda m, s, a, t: _accepted(t) and a.upgrade
            and a.para is not None and mhas(s.paras.future_code_upgrades, a.para))
def one_upgrade_scheduled_at_a_time(m, s, a, t):
    """Scheduling an upgrade for a para that already has one scheduled changes nothing:
    the scheduled one stays (or is applied)."""
    if not (_accepted(t) and a.upgrade and a.para is not None and mhas(s.paras.future_code_upgrades, a.para)):
        return True
    before = (mget(s.paras.future_code_upgrades, a.para), mget(s.paras.future_code, a.para))
    after = (mget(t.paras.future_code_upgrades, a.para), mget(t.paras.future_code, a.para))
    return after in (before, (None, None))


@transition(M, ["PAR-4"], on=[ParasBlock], witness=lambda m, s, a, t: _accepted(t) and a.same_code
            and not mhas(s.paras.future_code_upgrades, a.para))
def upgrade_to_current_code_ignored(m, s, a, t):
    """A candidate signalling its para's current code schedules nothing (PAR-D6)."""
    if not (_accepted(t) and a.upgrade and a.same_code and not mhas(s.paras.future_code_upgrades, a.para)):
        return True
    return not mhas(t.paras.future_code_upgrades, a.para) and mget(t.paras.code, a.para) == mget(s.paras.code, a.para)


@transition(M, ["PAR-1", "PAR-2", "PAR-3"], on=[ParasBlock],
            witness=lambda m, s, a, t: _accepted(t) and a.call is not None and not a.session_change)
def paras_change_only_at_session_boundary(m, s, a, t):
    """The registered parachains and parathreads change only in a block that starts a session."""
    if not _accepted(t) or a.session_change:
        return True
    return t.paras.parachains == s.paras.parachains and t.paras.parathreads == s.paras.parathreads


def _cleans_up_unknown_para(s, a) -> bool:
    return (isinstance(a.call, DeregisterPara) and a.call.origin == "root" and not a.session_change
            and a.call.para not in s.paras.parachains + s.paras.parathreads and not mhas(s.paras.upcoming, a.call.para))


@transition(M, ["PAR-2"], on=[ParasBlock], witness=lambda m, s, a, t: _cleans_up_unknown_para(s, a))
def cleanup_of_unknown_para_changes_nothing(m, s, a, t):
    """The cleanup of a para neither registered nor upcoming is refused (PAR-2) under
    reading=seed, and under reading=sdk accepted without queueing anything (PAR-D9)."""
    if not _cleans_up_unknown_para(s, a):
        return True
    if getattr(m.params, "reading", "seed") != "sdk":
        return isinstance(t, Rejected) and t.rule_id == "PAR-2"
    return _accepted(t) and t.paras.outgoing == s.paras.outgoing and t.paras.actions_queue == s.paras.actions_queue


@transition(M, ["PAR-2"], on=[ParasBlock], witness=lambda m, s, a, t: a.session_change and s.paras.outgoing)
def outgoing_code_kept(m, s, a, t):
    """A para cleaned up at a session change keeps its last code available for the
    contexts before the change (the change's block itself under reading=seed, PAR-D7)."""
    if not (a.session_change and _accepted(t)):
        return True
    at = t.now - 1 if _sdk(m) else t.now
    for para in s.paras.outgoing:
        if m.get_validation_code_at(t.paras, para, at) != mget(s.paras.code, para):
            return False
    return True


@transition(M, ["PAR-1", "PAR-2", "PAR-10"], on=[ParasBlock],
            witness=lambda m, s, a, t: _accepted(t) and a.session_change and bool(s.paras.actions_queue))
def paras_change_at_session_delay(m, s, a, t):
    """A registration or cleanup accepted in session ``k`` is queued for session
    ``k + delay`` (1 under reading=seed, 2 under reading=sdk: PAR-10); a session change
    to session ``n`` makes live exactly the paras queued for ``n`` and removes exactly
    those; a para queued for a later session keeps its state."""
    if not _accepted(t):
        return True
    new = set(t.paras.actions_queue) - set(s.paras.actions_queue)
    if a.call is not None and any(at != t.sessions + spec_session_delay(m) for at, _ in new):
        return False
    if not a.session_change:
        return True
    due = _due(s.paras, t.sessions)
    upcoming = {p for p, _ in s.paras.upcoming}
    want = (_live(s.paras) - (due & set(s.paras.outgoing))) | (due & upcoming)
    return _live(t.paras) == want and not _due(t.paras, t.sessions)


# -- reachability -----------------------------------------------------------------------------------


@sometimes(M, ["PAR-5", "PAR-7"])
def upgraded_code_pruned(m, s):
    """A para's code is upgraded and the old code is later pruned."""
    return any(r.expected_at != r.activated_at and is_pruned(r.activated_at, s.now, m.acceptance_period)
               for r in s.paras.replacements)


@sometimes(M, ["PAR-1"])
def para_onboarded(m, s):
    """A para registered during the exploration becomes live."""
    return 2 in s.paras.parachains


# -- mutants ------------------------------------------------------------------------------------------


@mutant(M, "par_same_code_scheduled", kills=["upgrade_to_current_code_ignored"])
class SameCodeScheduled(ParasMachine):
    """An upgrade to the para's current code is scheduled like any other."""

    def is_current_code(self, ps, para, code):
        return False


@mutant(M, "par_no_last_pruned", kills=["validation_code_matches_history"])
class NoLastPruned(ParasMachine):
    """Pruning forgets ``last_pruned``: contexts before the pruned code get the next code."""

    def process_paras_initialize(self, ps, now, acceptance_period, cfg=None):
        ps = super().process_paras_initialize(ps, now, acceptance_period, cfg)
        metas = tuple((p, PastCodeMeta(meta.upgrade_times, None)) for p, meta in ps.past_code_meta)
        return replace(ps, past_code_meta=metas)


@mutant(M, "par_pruning_keeps_code", kills=["pruned_code_never_returned", "validation_code_matches_history"])
class PruningKeepsCode(ParasMachine):
    """Pruning is never done: past code stays available forever."""

    def is_prunable(self, activated_at, now, acceptance_period):
        return False


@mutant(M, "par_prune_early", kills=["past_code_kept_for_acceptance_period"])
class PruneEarly(ParasMachine):
    """Past code is pruned one block before its acceptance period is over."""

    def is_prunable(self, activated_at, now, acceptance_period):
        return activated_at + acceptance_period <= now


@mutant(M, "par_intermediate_ignored", kills=["future_code_with_intermediate"])
class IntermediateIgnored(ParasMachine):
    """``assume_intermediate`` is ignored by ``validation_code_at``."""

    def get_validation_code_at(self, ps, para, at, assume_intermediate=None, cfg=None):
        return super().get_validation_code_at(ps, para, at, None, cfg)


@mutant(M, "par_upgrade_early", kills=["upgrade_applied_from_expected_block"])
class UpgradeEarly(ParasMachine):
    """An upgrade is applied by a head executed one block before ``expected_at``."""

    def is_upgrade_due(self, expected_at, relay_parent):
        return relay_parent + 1 >= expected_at


@mutant(M, "par_upgrade_overwrites", kills=["one_upgrade_scheduled_at_a_time"])
class UpgradeOverwrites(ParasMachine):
    """A second ``schedule_code_upgrade`` replaces the scheduled one."""

    def process_schedule_code_upgrade(self, ps, para, code, expected_at):
        ps = replace(ps, future_code_upgrades=mdel(ps.future_code_upgrades, para),
                     future_code=mdel(ps.future_code, para))
        return super().process_schedule_code_upgrade(ps, para, code, expected_at)


@mutant(M, "par_register_immediately", kills=["paras_change_only_at_session_boundary"])
class RegisterImmediately(ParasMachine):
    """A registered para becomes live at once instead of at the next session."""

    def process_schedule_para_initialize(self, ps, call, session, cfg):
        ps = super().process_schedule_para_initialize(ps, call, session, cfg)
        live = self.process_paras_session_change(replace(ps, outgoing=(), actions_queue=((0, call.para),)), 0, 0)
        return replace(live, outgoing=ps.outgoing, actions_queue=ps.actions_queue)


@mutant(M, "par_outgoing_code_dropped", kills=["outgoing_code_kept"])
class OutgoingCodeDropped(ParasMachine):
    """Cleanup drops an outgoing para's code instead of keeping it as past code."""

    def process_paras_session_change(self, ps, now, session):
        gone = _due(ps, session) & set(ps.outgoing)
        stripped = replace(ps, code=tuple((p, c) for p, c in ps.code if p not in gone))
        return super().process_paras_session_change(stripped, now, session)


@mutant(M, "par_cleanup_keeps_head", kills=["registry_consistent"])
class CleanupKeepsHead(ParasMachine):
    """Cleanup leaves the outgoing para's head behind."""

    def process_paras_session_change(self, ps, now, session):
        out = super().process_paras_session_change(ps, now, session)
        gone = _due(ps, session) & set(ps.outgoing)
        kept = tuple((p, h) for p, h in ps.heads if p in gone)
        return replace(out, heads=tuple(sorted(out.heads + kept)))


@mutant(M, "par_sdk_cleanup_of_unknown_para_refused", kills=["cleanup_of_unknown_para_changes_nothing"],
        overrides={"reading": "sdk"})
class SdkCleanupOfUnknownParaRefused(ParasMachine):
    """Under reading=sdk the cleanup of a para with no lifecycle is still refused (PAR-D9)."""

    def is_cleanup_noop(self, ps, para, cfg):
        return False


@mutant(M, "par_sdk_last_pruned_expected_at",
        kills=["last_pruned_records_the_reading_s_block", "validation_code_matches_history"],
        overrides={"reading": "sdk"})
class SdkLastPrunedExpectedAt(ParasMachine):
    """Under reading=sdk ``last_pruned`` still records the pruned replacement's
    ``expected_at`` (the seed reading's block, PAR-D7), not its ``activated_at``."""

    def pruned_mark(self, t, cfg=None):
        return t.expected_at


@mutant(M, "par_sdk_next_session", kills=["paras_change_at_session_delay"], overrides={"reading": "sdk"})
class SdkNextSession(ParasMachine):
    """Under reading=sdk a registration or cleanup still takes effect at the next session
    (the seed's timing kept where sdk's ``SESSION_DELAY`` applies: PAR-10)."""

    def session_delay(self, cfg):
        return 1


@mutant(M, "par_action_applied_early", kills=["paras_change_at_session_delay"], overrides={"reading": "sdk"})
class ActionAppliedEarly(ParasMachine):
    """A session change applies every queued registration and cleanup, not only those
    queued for the new session (invisible under reading=seed, where every entry is for
    the next session)."""

    def process_paras_session_change(self, ps, now, session):
        ps = replace(ps, actions_queue=tuple((min(at, session), p) for at, p in ps.actions_queue))
        return super().process_paras_session_change(ps, now, session)


# -- the answer of a query (issue 20: an implementation that drops it must be caught) ----------------


@transition(M, ["PAR-6"], on=[ValidationCodeQuery], witness=lambda m, s, a, t: _accepted(t) and a.para in known_paras(s.paras))
def code_query_answers_code_at(m, s, a, t):
    """An accepted validation-code query answers the code in force at its context (what
    ``validation_code_at`` gives), not nothing."""
    if not _accepted(t):
        return True
    return m.answer(s, a, t) == m.get_validation_code_at(s.paras, a.para, a.at, a.assume_intermediate)


@mutant(M, "par_answer_dropped", kills=["code_query_answers_code_at"])
class AnswerDropped(ParasMachine):
    """PAR-6: a validation-code query is accepted but answers nothing (the runtime API's
    result is dropped)."""

    def answer(self, state, action, next_state):
        return None
