"""The presets and exploration bounds of the runtime machines.

The presets of ``model.config`` size the protocol for real chains (a 10-block
group rotation, a 4-block acceptance period, ...). Exhaustive exploration of the
runtime modules needs every interesting event (a rotation, a timeout, an upgrade
applied and its old code pruned, a session change) within a handful of blocks, so
the ``runtime``, ``scheduler`` and ``paras`` machines have presets of their own: the
small host presets (``tiny``, ``trio``, ``small``) with one parachain, one parathread
core and the *exploration timing* below (:func:`exploration_preset`). A machine runs
on its preset exactly as it is, and on a ``--set`` value exactly as given: nothing is
remapped when the machine is built. ``spec/runtime.md`` lists these values in its
parameters table; ``paraspec run`` uses a scenario's preset and overrides as given.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..config import PRESETS, HostConfiguration

__all__ = ["RuntimeBounds", "EXPLORATION_TIMING", "exploration_preset", "exploration_presets", "RUNTIME_PRESETS"]

#: Timing of the runtime machines' presets.
EXPLORATION_TIMING = {
    "group_rotation_frequency": 3,
    "chain_availability_period": 1,
    "thread_availability_period": 2,
    "validation_upgrade_delay": 2,
    "validation_upgrade_frequency": 2,
    "acceptance_period": 0,
    "scheduling_lookahead": 1,
    "parathread_retries": 1,
}


def exploration_preset(host: HostConfiguration, **changes: Any) -> HostConfiguration:
    """``host`` with one parachain, one parathread core and the exploration timing,
    then ``changes`` (a machine's own departures from it), validated."""
    fields: dict[str, Any] = {"n_parachains": 1, "parathread_cores": 1, **EXPLORATION_TIMING, **changes}
    return attrs.evolve(host, **fields).validate()


def exploration_presets(**changes: Any) -> dict[str, HostConfiguration]:
    """:func:`exploration_preset` of each small host preset, under the host preset's name."""
    return {name: exploration_preset(PRESETS[name], **changes) for name in ("tiny", "trio", "small")}


#: The presets of the ``runtime`` machine.
RUNTIME_PRESETS = exploration_presets()


@attrs.frozen
class RuntimeBounds:
    """What the ``runtime`` machine explores from a genesis configuration."""

    #: the genesis configuration (the machine's parameters, as they are)
    genesis: HostConfiguration
    #: genesis parachains (ids 0..n-1) and parathreads (the next ids)
    n_parachains: int
    n_parathreads: int
    #: relay blocks explored
    max_blocks: int
    #: blocks explored after ``max_blocks`` while a candidate's code upgrade is in flight (due
    #: with the pending candidate of its para, or applied with its old code not yet pruned): one
    #: block each, the honest progress block (every pending core made available, every
    #: scheduled para backed); 2 under ``reading=sdk``, where ``expected_at`` counts from the
    #: enacting block (decision INC-D28), so an upgrade is applied in block 6 and its old
    #: code pruned in block 7 at the earliest; 0 under ``reading=seed``
    tail_blocks: int
    #: session changes explored, and the random seeds a session change may bring
    max_sessions: int
    genesis_seed: int
    seeds: tuple[int, ...]
    #: code upgrades a para may carry in the exploration
    max_upgrades: int
    #: a para the explorer may register (None: no registration explored)
    register_para: int | None
    #: configuration changes governance may make: (member, value) toggled by the explorer
    setters: tuple[tuple[str, int, int], ...]

    @classmethod
    def of(cls, genesis: HostConfiguration) -> "RuntimeBounds":
        """The bounds of the exploration from ``genesis``: its ``n_parachains``
        parachains and one parathread at genesis, five blocks, one session change (two
        under ``reading=sdk``, where a registration takes effect at session + 2: PAR-10),
        one upgrade per para, the next para id registered by governance; under
        ``reading=sdk`` two more blocks while an upgrade is in flight (INC-D28)."""
        n_parathreads = 1
        sdk = getattr(genesis, "reading", "seed") == "sdk"
        return cls(
            genesis=genesis,
            n_parachains=genesis.n_parachains,
            n_parathreads=n_parathreads,
            max_blocks=5,
            tail_blocks=2 if sdk else 0,
            max_sessions=2 if sdk else 1,
            genesis_seed=1,
            seeds=(2,),
            max_upgrades=1,
            register_para=genesis.n_parachains + n_parathreads,
            setters=(("parathread_cores", 1, 0),),
        )
