"""The Paras module: [IG §2.5.4] (rules PAR-* of ``spec/paras.md``).

Registered paras (parachains and parathreads), their heads and validation code,
future code upgrades, and past code kept for the acceptance period with
``PastCodeMeta`` / ``PastCodePruning``. Paras change only at session boundaries
(PAR-1, PAR-2): a registration or cleanup takes effect at the start of the next
session under ``reading=seed``, of the session after it under ``reading=sdk``
(``ActionsQueue``, PAR-10, decision PAR-D8); an upgrade scheduled for
``expected_at`` is applied by the first new head executed in the context of a
relay block ``>= expected_at`` (PAR-5); past code is pruned at initialization
once its acceptance period is over (PAR-7), and
``validation_code_at`` returns past, current or future code, or nothing once pruned
(PAR-6, PAR-8). Which block ``last_pruned`` records, and which contexts a replacement
covers, follow the reading (decision PAR-D7: ``expected_at`` under ``seed``,
``activated_at`` under ``sdk``).

Heads and validation code are abstract: ints (a head is a counter, a code an
identifier).
"""

from __future__ import annotations

from typing import Any

import attrs

from ..config import PRESETS
from ..core import Machine, register_machine, require
from ..readings import is_sdk
from ..rules import implements
from .bounds import exploration_preset
from .common import FMap, mdel, mget, mhas, mset, replace

__all__ = [
    "ParaGenesisArgs",
    "ReplacementTimes",
    "PastCodeMeta",
    "ParasState",
    "ParasModule",
    "ParasMachine",
    "RegisterPara",
    "DeregisterPara",
    "CodeReplacement",
]


@attrs.frozen
class ParaGenesisArgs:
    head: int
    code: int
    parachain: bool


@attrs.frozen
class ReplacementTimes:
    #: relay block from which the para uses the new code (exclusive for the old one)
    expected_at: int
    #: relay block in which the replacement was applied (the pruning clock)
    activated_at: int


@attrs.frozen
class PastCodeMeta:
    upgrade_times: tuple[ReplacementTimes, ...] = ()
    #: the most recent pruned replacement's ``expected_at`` under ``reading=seed``, its
    #: ``activated_at`` under ``reading=sdk`` (PAR-7, decision PAR-D7), if any
    last_pruned: int | None = None


#: the metadata of a para without any (an immutable value, shared)
NO_PAST_CODE = PastCodeMeta()


@attrs.frozen
class CodeReplacement:
    """Ghost record (never pruned) of one code replacement, for the properties."""

    para: int
    expected_at: int
    activated_at: int
    old_code: int


@attrs.frozen(cache_hash=True)
class ParasState:
    #: registered parachains, ascending (PAR-3)
    parachains: tuple[int, ...] = ()
    #: registered parathreads, ascending
    parathreads: tuple[int, ...] = ()
    heads: tuple[tuple[int, int], ...] = ()  # FMap para -> head
    #: current validation code of each live para
    code: tuple[tuple[int, int], ...] = ()  # FMap para -> code
    #: (para, expected_at) -> code replaced at expected_at
    past_code: tuple[tuple[tuple[int, int], int], ...] = ()  # FMap
    #: para -> PastCodeMeta (survives the para's cleanup)
    past_code_meta: tuple[tuple[int, PastCodeMeta], ...] = ()  # FMap
    #: (para, activated_at), ascending by activated_at
    past_code_pruning: tuple[tuple[int, int], ...] = ()
    future_code_upgrades: tuple[tuple[int, int], ...] = ()  # FMap para -> expected_at
    future_code: tuple[tuple[int, int], ...] = ()  # FMap para -> code
    #: para -> ParaGenesisArgs, applied at the session its ``actions_queue`` entry names
    upcoming: tuple[tuple[int, ParaGenesisArgs], ...] = ()  # FMap
    #: paras cleaned up at the session their ``actions_queue`` entry names, ascending
    outgoing: tuple[int, ...] = ()
    #: ``ActionsQueue``: (session, para), ascending: the upcoming or outgoing para takes
    #: effect at the start of that session (PAR-10)
    actions_queue: tuple[tuple[int, int], ...] = ()
    #: ghost: every code replacement ever made (PAR-8 is checked against it)
    replacements: tuple[CodeReplacement, ...] = ()


@attrs.frozen
class RegisterPara:
    """``schedule_para_initialize``, called by the registration process (root)."""

    para: int
    parachain: bool = True
    head: int = 0
    code: int = 0
    origin: str = "root"


@attrs.frozen
class DeregisterPara:
    """``schedule_para_cleanup``, called by the registration process (root)."""

    para: int
    origin: str = "root"


class ParasModule:
    """Rule methods of the Paras module."""

    # -- rules ------------------------------------------------------------------------------
    def is_registered(self, ps: ParasState, para: int) -> bool:
        return para in ps.parachains or para in ps.parathreads

    @implements("PAR-5")
    def is_upgrade_due(self, expected_at: int, relay_parent: int) -> bool:
        """PAR-5: an upgrade applies to a head executed in the context of a relay block
        numbered at least ``expected_at``."""
        return relay_parent >= expected_at

    @implements("INC-22")
    def candidate_upgrade_expected_at(self, relay_parent: int, enacted_in: int, cfg: Any) -> int:
        """INC-22 (decision INC-D28): the ``expected_at`` of the code upgrade a candidate with
        relay parent ``relay_parent`` signals, when block ``enacted_in`` enacts it:
        ``validation_upgrade_delay`` blocks from the relay parent under ``reading=seed``
        ([IG §2.5.6] ``enact_candidate``), from the enacting block under ``reading=sdk``
        (polkadot-sdk ``inclusion::enact_candidate`` passes the block number of the
        candidate's inclusion to ``paras::schedule_code_upgrade``; ``proceed_with_upgrade``
        counts ``validation_upgrade_delay`` from it, and ``minimum_validation_upgrade_delay``
        from the pre-check's acceptance, which CFG-D6 leaves out)."""
        return (enacted_in if is_sdk(cfg) else relay_parent) + cfg.validation_upgrade_delay

    @implements("PAR-7")
    def is_prunable(self, activated_at: int, now: int, acceptance_period: int) -> bool:
        """PAR-7: code replaced in block ``activated_at`` is kept for the acceptance
        period, and pruned at the initialization of the first block after it."""
        return activated_at + acceptance_period < now

    def paras_reading(self, cfg: Any = None) -> Any:
        """What carries the reading for the lookups and pruning below: ``cfg`` (the active
        configuration) when given, else the machine's parameters."""
        return cfg if cfg is not None else getattr(self, "params", None)

    @implements("PAR-7")
    def pruned_mark(self, t: ReplacementTimes, cfg: Any = None) -> int:
        """PAR-7 (decision PAR-D7): the block ``last_pruned`` records of the last replacement
        pruned: its ``expected_at`` under ``reading=seed`` (polkadot-sdk until late 2021),
        its ``activated_at`` under ``reading=sdk`` (polkadot-sdk
        ``ParaPastCodeMeta::prune_up_to``)."""
        return t.activated_at if is_sdk(self.paras_reading(cfg)) else t.expected_at

    @implements("PAR-6")
    def uses_replaced_code(self, t: ReplacementTimes, at: int, cfg: Any = None) -> bool:
        """PAR-6 (decision PAR-D7): whether a parablock executed in the context of relay
        block ``at`` is validated by the code replacement ``t`` replaced: ``at`` at or
        before its ``expected_at`` under ``reading=seed`` ([IG §2.5.4] ``UseCodeAt``),
        before its ``activated_at`` under ``reading=sdk`` (polkadot-sdk's ``code_at`` of
        the period ``last_pruned`` recorded the activation: a context in
        ``expected_at..activated_at`` still uses the old code)."""
        return at < t.activated_at if is_sdk(self.paras_reading(cfg)) else at <= t.expected_at

    @implements("PAR-8")
    def is_context_pruned(self, last_pruned: int | None, at: int, cfg: Any = None) -> bool:
        """PAR-8 (decision PAR-D7): whether the code in force at context ``at`` has been
        pruned, given the para's ``last_pruned`` (read with :meth:`uses_replaced_code`'s
        boundary: at or before it under ``reading=seed``, before it under ``reading=sdk``)."""
        if last_pruned is None:
            return False
        return at < last_pruned if is_sdk(self.paras_reading(cfg)) else at <= last_pruned

    # -- accessors ---------------------------------------------------------------------------
    def get_code(self, ps: ParasState, para: int) -> int | None:
        return mget(ps.code, para)

    def get_head(self, ps: ParasState, para: int) -> int | None:
        return mget(ps.heads, para)

    def get_last_code_upgrade(self, ps: ParasState, para: int, include_future: bool) -> int | None:
        """The ``expected_at`` of the para's latest code replacement (the scheduled
        upgrade too when ``include_future``), pruned or not; ``None`` if it never had one."""
        if include_future:
            fut = mget(ps.future_code_upgrades, para)
            if fut is not None:
                return fut
        meta = mget(ps.past_code_meta, para)
        if meta is not None and meta.upgrade_times:
            return meta.upgrade_times[-1].expected_at
        if meta is not None:
            return meta.last_pruned  # the latest replacement was already pruned
        return None

    @implements("PAR-6")
    def get_validation_code_at(self, ps: ParasState, para: int, at: int,
                               assume_intermediate: int | None = None, cfg: Any = None) -> int | None:
        """PAR-6: the code to validate a block of ``para`` executed in the context of
        relay block ``at``; with ``assume_intermediate``, as if a parablock executed at
        that (earlier) height had been included. ``None`` once pruned (PAR-8). ``cfg``: the
        active configuration, which carries the reading (default: the machine's parameters)."""
        if assume_intermediate is not None and at <= assume_intermediate:
            return None
        planned = mget(ps.future_code_upgrades, para)
        if assume_intermediate is not None and planned is not None and planned <= assume_intermediate:
            return mget(ps.future_code, para)
        meta = mget(ps.past_code_meta, para, NO_PAST_CODE)
        for i, t in enumerate(meta.upgrade_times):
            if self.uses_replaced_code(t, at, cfg):
                # the code replaced at t is the one in force at `at`, unless `at` lies
                # before an already pruned replacement
                if i == 0 and self.is_context_pruned(meta.last_pruned, at, cfg):
                    return None
                return mget(ps.past_code, (para, t.expected_at))
        if self.is_context_pruned(meta.last_pruned, at, cfg):
            return None
        return mget(ps.code, para)

    # -- routines ----------------------------------------------------------------------------
    @implements("PAR-10")
    def session_delay(self, cfg: Any) -> int:
        """PAR-10 (decision PAR-D8): sessions from a registration or cleanup to the session
        at whose start it takes effect: 1 ([IG §2.5.4], the next session change) under
        ``reading=seed``, polkadot-sdk's ``SESSION_DELAY`` (2) under ``reading=sdk``."""
        return 2 if is_sdk(cfg) else 1

    @implements("PAR-10")
    def queue_action(self, ps: ParasState, para: int, session: int, cfg: Any) -> ParasState:
        """PAR-10: note ``para``'s registration or cleanup in ``ActionsQueue`` for the
        session ``session_delay(cfg)`` after the current ``session`` (``cfg``: the active
        configuration, which carries the reading)."""
        entry = (session + self.session_delay(cfg), para)
        return replace(ps, actions_queue=tuple(sorted(ps.actions_queue + (entry,))))

    @implements("PAR-1")
    def process_schedule_para_initialize(self, ps: ParasState, call: RegisterPara, session: int,
                                         cfg: Any) -> ParasState:
        """``schedule_para_initialize``: the para becomes live at the start of session
        ``session + session_delay(cfg)`` (PAR-1, PAR-10)."""
        require(call.origin == "root", "PAR-1", f"registration needs the root origin, not {call.origin!r}")
        require(call.para >= 0, "PAR-1", f"para id {call.para} is negative")
        require(not self.is_registered(ps, call.para) and not mhas(ps.upcoming, call.para), "PAR-1",
                f"para {call.para} is already registered or upcoming")
        args = ParaGenesisArgs(call.head, call.code, call.parachain)
        ps = replace(ps, upcoming=mset(ps.upcoming, call.para, args))
        return self.queue_action(ps, call.para, session, cfg)

    @implements("PAR-2")
    def process_schedule_para_cleanup(self, ps: ParasState, call: DeregisterPara, session: int,
                                      cfg: Any) -> ParasState:
        """``schedule_para_cleanup``: the para is removed at the start of session
        ``session + session_delay(cfg)`` (PAR-2, PAR-10). A para neither registered nor
        upcoming: rejected under ``reading=seed``, nothing done under ``reading=sdk``
        (decision PAR-D9)."""
        require(call.origin == "root", "PAR-2", f"cleanup needs the root origin, not {call.origin!r}")
        if self.is_cleanup_noop(ps, call.para, cfg):
            return ps
        require(self.is_registered(ps, call.para), "PAR-2", f"para {call.para} is not registered")
        require(call.para not in ps.outgoing, "PAR-2", f"para {call.para} is already outgoing")
        ps = replace(ps, outgoing=tuple(sorted(ps.outgoing + (call.para,))))
        return self.queue_action(ps, call.para, session, cfg)

    @implements("PAR-2")
    def is_cleanup_noop(self, ps: ParasState, para: int, cfg: Any) -> bool:
        """PAR-2 (decision PAR-D9): under ``reading=sdk`` the cleanup of a para with no
        lifecycle (neither registered nor upcoming) does nothing and succeeds
        (polkadot-sdk ``paras::schedule_para_cleanup``); under ``reading=seed`` it is
        refused like any cleanup of a para that is not registered."""
        return is_sdk(cfg) and not self.is_registered(ps, para) and not mhas(ps.upcoming, para)

    @implements("PAR-5", "PAR-2")
    def note_past_code(self, ps: ParasState, para: int, expected_at: int, activated_at: int,
                       old_code: int) -> ParasState:
        """Keep replaced code: ``PastCode``, ``PastCodeMeta`` and ``PastCodePruning`` (PAR-5, PAR-2)."""
        meta = mget(ps.past_code_meta, para, NO_PAST_CODE)
        meta = replace(meta, upgrade_times=meta.upgrade_times + (ReplacementTimes(expected_at, activated_at),))
        return replace(
            ps,
            past_code=mset(ps.past_code, (para, expected_at), old_code),
            past_code_meta=mset(ps.past_code_meta, para, meta),
            past_code_pruning=ps.past_code_pruning + ((para, activated_at),),
            replacements=ps.replacements + (CodeReplacement(para, expected_at, activated_at, old_code),),
        )

    @implements("PAR-1", "PAR-2", "PAR-3", "PAR-10")
    def process_paras_session_change(self, ps: ParasState, now: int, session: int) -> ParasState:
        """Session change to ``session`` (PAR-1, PAR-2, PAR-3, PAR-10): the paras queued
        for it take effect: outgoing ones are cleaned up (keeping their code as past
        code), upcoming ones become live; the parachains list is amended."""
        due = {p for at, p in ps.actions_queue if at == session}
        queue = tuple(e for e in ps.actions_queue if e[0] != session)
        parachains = set(ps.parachains)
        parathreads = set(ps.parathreads)
        for para in ps.outgoing:
            if para not in due:
                continue
            code = mget(ps.code, para)
            ps = replace(
                ps,
                heads=mdel(ps.heads, para),
                code=mdel(ps.code, para),
                future_code_upgrades=mdel(ps.future_code_upgrades, para),
                future_code=mdel(ps.future_code, para),
            )
            if code is not None:
                ps = self.note_past_code(ps, para, now, now, code)
            parachains.discard(para)
            parathreads.discard(para)
        heads, code = ps.heads, ps.code
        for para, args in ps.upcoming:
            if para not in due:
                continue
            heads = mset(heads, para, args.head)
            code = mset(code, para, args.code)
            (parachains if args.parachain else parathreads).add(para)
        return replace(ps, parachains=tuple(sorted(parachains)), parathreads=tuple(sorted(parathreads)),
                       heads=heads, code=code, actions_queue=queue,
                       upcoming=tuple((p, a) for p, a in ps.upcoming if p not in due),
                       outgoing=tuple(p for p in ps.outgoing if p not in due))

    @implements("PAR-7")
    def process_paras_initialize(self, ps: ParasState, now: int, acceptance_period: int,
                                 cfg: Any = None) -> ParasState:
        """Initialization: prune past code whose acceptance period is over (PAR-7); ``cfg``
        carries the reading (default: the machine's parameters)."""
        prune = [(p, at) for p, at in ps.past_code_pruning if self.is_prunable(at, now, acceptance_period)]
        if not prune:
            return ps
        keep = tuple(e for e in ps.past_code_pruning if e not in prune)
        past_code, metas = ps.past_code, ps.past_code_meta
        for para in sorted({p for p, _ in prune}):
            limit = max(at for p, at in prune if p == para)
            meta = mget(metas, para, NO_PAST_CODE)
            gone = [t for t in meta.upgrade_times if t.activated_at <= limit]
            if not gone:
                continue
            for t in gone:
                past_code = mdel(past_code, (para, t.expected_at))
            meta = PastCodeMeta(upgrade_times=meta.upgrade_times[len(gone):], last_pruned=self.pruned_mark(gone[-1], cfg))
            metas = mset(metas, para, meta)
        return replace(ps, past_code=past_code, past_code_meta=metas, past_code_pruning=keep)

    @implements("PAR-4")
    def process_schedule_code_upgrade(self, ps: ParasState, para: int, code: int, expected_at: int) -> ParasState:
        """``schedule_code_upgrade`` (PAR-4): note the future code, unless an upgrade is
        already scheduled for the para or the code is the para's current code (then the
        call has no effect; decision PAR-D6)."""
        if mhas(ps.future_code_upgrades, para) or not self.is_registered(ps, para):
            return ps
        if self.is_current_code(ps, para, code):
            return ps
        return replace(ps, future_code_upgrades=mset(ps.future_code_upgrades, para, expected_at),
                            future_code=mset(ps.future_code, para, code))

    @implements("PAR-4")
    def is_current_code(self, ps: ParasState, para: int, code: int) -> bool:
        """PAR-4 (decision PAR-D6): an upgrade to the para's current code is no upgrade
        (polkadot-sdk ``schedule_code_upgrade`` aborts it; the seeds are silent)."""
        return mget(ps.code, para) == code

    @implements("PAR-5")
    def process_note_new_head(self, ps: ParasState, para: int, head: int, relay_parent: int, now: int) -> ParasState:
        """``note_new_head`` (PAR-5): set the head; apply the scheduled upgrade if the head
        was executed in the context of a relay block >= its ``expected_at``."""
        ps = replace(ps, heads=mset(ps.heads, para, head))
        expected_at = mget(ps.future_code_upgrades, para)
        if expected_at is None or not self.is_upgrade_due(expected_at, relay_parent):
            return ps
        new_code = mget(ps.future_code, para)
        old_code = mget(ps.code, para)
        ps = replace(ps, code=mset(ps.code, para, new_code),
                          future_code_upgrades=mdel(ps.future_code_upgrades, para),
                          future_code=mdel(ps.future_code, para))
        return self.note_past_code(ps, para, expected_at, now, old_code)


# -- the module machine ---------------------------------------------------------------------------


@attrs.frozen(cache_hash=True)
class ParasMachineState:
    paras: ParasState
    now: int = 0
    sessions: int = 0
    #: code identifiers handed out so far (each new code is fresh)
    codes: int = 0


@attrs.frozen
class ParasBlock:
    """One relay block for the Paras module: the session change if ``session_change``,
    initialization (pruning), then optionally a candidate of ``para`` enacted with
    relay parent ``now - 1`` (scheduling a code upgrade if ``upgrade``, then noting its
    new head), then the registration ``call`` if any."""

    session_change: bool = False
    para: int | None = None
    upgrade: bool = False
    call: RegisterPara | DeregisterPara | None = None
    #: with ``upgrade``: the candidate signals the para's current code (PAR-D6)
    same_code: bool = False


@attrs.frozen
class ValidationCodeQuery:
    """A read-only query, to exercise ``assume_intermediate`` (rejected when not before ``at``)."""

    para: int
    at: int
    assume_intermediate: int | None


@register_machine
class ParasMachine(ParasModule, Machine):
    """The Paras module alone: registration, upgrades, heads, pruning."""

    name = "paras"
    vector_suite = "runtime_module"
    area = "paras"
    description = "para registration, code upgrades and past-code pruning ([IG §2.5.4])"

    #: ``tiny`` with the runtime's exploration timing (``model.runtime.bounds``) and an
    #: acceptance period of one block, so past code is pruned within the explored blocks
    #: but not at once (the module reads no validator count: one preset is enough)
    presets = {"tiny": exploration_preset(PRESETS["tiny"], acceptance_period=1)}
    #: the module's timing (the genesis paras and the bounds below are fixed)
    parameters = ("validation_upgrade_delay", "acceptance_period")

    #: exploration bounds
    max_blocks = 6
    max_sessions = 2
    max_codes = 2

    def __init__(self, config):
        super().__init__(config)
        #: blocks past code is kept after its replacement (PAR-7)
        self.acceptance_period = config.acceptance_period

    def init(self):
        ps = ParasState(parachains=(0,), parathreads=(1,), heads=((0, 0), (1, 0)), code=((0, 100), (1, 101)))
        yield ParasMachineState(ps)

    def actions(self, state: ParasMachineState):
        ps = state.paras
        if state.now >= self.max_blocks:
            return
        yield ParasBlock()
        for p in ps.parachains + ps.parathreads:
            yield ParasBlock(para=p)
            if state.codes < self.max_codes:
                yield ParasBlock(para=p, upgrade=True)
            yield ParasBlock(para=p, upgrade=True, same_code=True)  # PAR-4: no upgrade (PAR-D6)
        if state.sessions < self.max_sessions:
            yield ParasBlock(session_change=True)
        yield ParasBlock(call=RegisterPara(2, parachain=True, head=0, code=102))
        yield ParasBlock(call=DeregisterPara(1))
        yield ParasBlock(call=RegisterPara(0, parachain=True, head=0, code=100))  # PAR-1: registered
        yield ParasBlock(call=RegisterPara(3, origin="signed"))  # PAR-1: not root
        yield ValidationCodeQuery(0, state.now, state.now)  # PAR-6: assume_intermediate not before at
        for para, at in ps.future_code_upgrades:  # PAR-6: an intermediate parablock at the upgrade
            if at < state.now:
                yield ValidationCodeQuery(para, state.now, at)

    @implements("PAR-6")
    def answer(self, state: ParasMachineState, action, next_state: ParasMachineState) -> Any:
        """A validation-code query returns the code (PAR-6); blocks return nothing."""
        if isinstance(action, ValidationCodeQuery):
            return self.get_validation_code_at(state.paras, action.para, action.at, action.assume_intermediate)
        return None

    def process_validation_code_query(self, state: ParasMachineState,
                                      action: ValidationCodeQuery) -> ParasMachineState:
        require(action.assume_intermediate is None or action.assume_intermediate < action.at, "PAR-6",
                "assume_intermediate must be before at")
        return state

    def process_paras_block(self, state: ParasMachineState, action: ParasBlock) -> ParasMachineState:
        ps = state.paras
        now = state.now + 1
        sessions = state.sessions
        if action.session_change:
            sessions += 1
            ps = self.process_paras_session_change(ps, now, sessions)
        ps = self.process_paras_initialize(ps, now, self.acceptance_period)
        codes = state.codes
        if action.para is not None:
            p = action.para
            require(self.is_registered(ps, p), "PAR-2", f"para {p} is not registered")
            relay_parent = now - 1
            expected_at = self.candidate_upgrade_expected_at(relay_parent, now, self.config)  # INC-D28
            if action.upgrade and action.same_code:
                ps = self.process_schedule_code_upgrade(ps, p, self.get_code(ps, p), expected_at)
            elif action.upgrade:
                codes += 1
                ps = self.process_schedule_code_upgrade(ps, p, 300 + codes, expected_at)
            ps = self.process_note_new_head(ps, p, 1 - self.get_head(ps, p), relay_parent, now)
        if isinstance(action.call, RegisterPara):
            ps = self.process_schedule_para_initialize(ps, action.call, sessions, self.config)
        elif isinstance(action.call, DeregisterPara):
            ps = self.process_schedule_para_cleanup(ps, action.call, sessions, self.config)
        return ParasMachineState(ps, now, sessions, codes)
