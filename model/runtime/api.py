"""The runtime API of the composed runtime: what a node asks the runtime at a block.

The names and shapes follow polkadot-sdk's ``ParachainHost`` runtime API where the
model holds the data (``validators``, ``validator_groups``, ``availability_cores``,
``session_index_for_child``, ``validation_code``, ``validation_code_hash``, ``validation_code_at``,
``candidate_pending_availability``). Each answers for a child of the state's block
(block ``now + 1``), as the sdk's do, and reads the modules' own accessors
(``get_group_of_core``, ``get_group_validators``, ``get_validation_code_at``). The
runtime's disputes (``disputes``) are those its inherents carried (INC-32); PVF pre-checking is
the ``upgrades`` machine's.

The selectors name validators by their role in the state, for scenario arguments:
``group_of_core`` (the backing group assigned to a core at the next block),
``group_of_para`` (the group of the core the para occupies or, for a parachain, its
own core), ``not_voted`` (the validators whose availability vote the candidate pending
on a core lacks).
"""

from __future__ import annotations

from typing import Any

from ..queries import query, selector
from .common import mget


def _cfg(state):
    return state.configuration.current


def _group_of_core(m, state, core: int) -> int | None:
    return m.get_group_of_core(state.scheduler, core, state.now + 1, _cfg(state))


def _core_of_para(state, para: int) -> int | None:
    for c, occ in enumerate(state.scheduler.cores):
        if occ is not None and occ.para == para:
            return c
    if para in state.paras.parachains:
        return state.paras.parachains.index(para)
    return None


@query("runtime", "validators", sdk="validators")
def _validators(m, state) -> list[int]:
    """The active validators of the session (by index: the list's positions)."""
    return list(state.validators)


@query("runtime", "validator_groups", sdk="validator_groups")
def _validator_groups(m, state) -> dict[str, Any]:
    """The backing groups (validator indices) and the rotation info of the next block:
    ``session_start_block``, ``group_rotation_frequency``, ``now``."""
    return {"groups": [list(g) for g in state.scheduler.groups],
            "rotation": {"session_start_block": state.scheduler.session_start,
                         "group_rotation_frequency": _cfg(state).group_rotation_frequency,
                         "now": state.now + 1}}


@query("runtime", "availability_cores", sdk="availability_cores")
def _availability_cores(m, state) -> list[dict[str, Any]]:
    """One entry per core: ``occupied`` (the para, the candidate's head, the availability
    votes so far, the block it was backed in, the group responsible) or ``free``."""
    out = []
    n = len(state.validators)
    for c, occ in enumerate(state.scheduler.cores):
        group = _group_of_core(m, state, c)
        if occ is None:
            out.append({"core": c, "state": "free", "group_responsible": group})
            continue
        pending = mget(state.inclusion.pending, occ.para)
        entry = {"core": c, "state": "occupied", "para": occ.para, "group_responsible": group,
                 "parathread": occ.entry is not None}
        if pending is not None:
            entry.update({"head": pending.head, "backed_in": pending.backed_in,
                          "availability": [v for v in range(n) if pending.votes >> v & 1]})
        out.append(entry)
    return out


@query("runtime", "session_index_for_child", sdk="session_index_for_child")
def _session_index(m, state) -> int:
    """The session of the next block (a new session comes only as a block's input)."""
    return state.session


@query("runtime", "validation_code", params=("para",), sdk="validation_code")
def _validation_code(m, state, para: int) -> int | None:
    """The para's current validation code (the model's codes are their own hashes)."""
    return mget(state.paras.code, para)


@query("runtime", "validation_code_hash", params=("para",), sdk="validation_code_hash")
def _validation_code_hash(m, state, para: int) -> int | None:
    """The hash of the para's current code: the model's codes are their own hashes, so the
    same value as ``validation_code``."""
    return _validation_code(m, state, para)


@query("runtime", "validation_code_at", params=("para", "at"), optional=("at",))
def _validation_code_at(m, state, para: int, at: int | None = None) -> int | None:
    """The code that validates a block of ``para`` in the context of relay block ``at``
    (default: the next block), PAR-6."""
    return m.get_validation_code_at(state.paras, para, state.now + 1 if at is None else at, None,
                                    state.configuration.current)


@query("runtime", "candidate_pending_availability", params=("para",), sdk="candidate_pending_availability")
def _candidate_pending(m, state, para: int) -> Any:
    """The para's candidate pending availability, if any."""
    return mget(state.inclusion.pending, para)


@query("runtime", "disputes", sdk="disputes")
def _disputes(m, state) -> list[dict[str, Any]]:
    """The disputes the runtime holds (sdk ``disputes()``): per dispute its session, the
    candidate (para and the block that backed it), the votes (validator indices), the block that
    opened it, the block it concluded in and the outcome code."""
    out: list[dict[str, Any]] = []
    n = len(state.validators)
    for (session, para, backed_in), d in state.disputes:
        out.append({"session": session, "para": para, "backed_in": backed_in,
                    "for": [v for v in range(n) if d.votes_for >> v & 1],
                    "against": [v for v in range(n) if d.votes_against >> v & 1],
                    "start": d.start, "concluded_at": d.concluded_at, "outcome": d.outcome})
    return out


@selector("runtime", "group_of_core", params=("core",))
def _sel_group_of_core(m, state, core: int) -> tuple[int, ...]:
    """The validators of the group assigned to ``core`` at the next block."""
    g = _group_of_core(m, state, core)
    return tuple(sorted(m.get_group_validators(state.scheduler, g) or ())) if g is not None else ()


@selector("runtime", "group_of_para", params=("para",))
def _sel_group_of_para(m, state, para: int) -> tuple[int, ...]:
    """The validators of the group assigned, at the next block, to the core of ``para``."""
    c = _core_of_para(state, para)
    return () if c is None else _sel_group_of_core(m, state, c)


@selector("runtime", "not_voted", params=("core",))
def _sel_not_voted(m, state, core: int) -> tuple[int, ...]:
    """The validators whose availability vote the candidate pending on ``core`` lacks."""
    occ = state.scheduler.cores[core] if 0 <= core < len(state.scheduler.cores) else None
    pending = None if occ is None else mget(state.inclusion.pending, occ.para)
    if pending is None:
        return ()
    return tuple(v for v in range(len(state.validators)) if not pending.votes >> v & 1)
