"""Exploration bounds and genesis of the runtime machines, derived from a preset.

The presets of ``model.config`` size the protocol for real chains (a 10-block
group rotation, a 4-block acceptance period, ...). Exhaustive exploration of the
runtime modules needs every interesting event (a rotation, a timeout, an upgrade
applied and its old code pruned, a session change) within a handful of blocks, so
for the small presets the runtime machines start from the preset with the
*exploration timing* below; the ``polkadot`` preset (and any explicit scenario) is
used as it is. ``spec/runtime.md`` lists these values in its parameters table.
"""

from __future__ import annotations

import attrs

from ..config import HostConfiguration

__all__ = ["RuntimeBounds", "EXPLORATION_TIMING"]

#: Timing used by the exploring machines on the small presets.
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


@attrs.frozen
class RuntimeBounds:
    """What the ``runtime`` machine explores on a preset."""

    #: the genesis configuration (the preset, with the exploration timing when small)
    genesis: HostConfiguration
    #: genesis parachains (ids 0..n-1) and parathreads (the next ids)
    n_parachains: int
    n_parathreads: int
    #: relay blocks explored
    max_blocks: int
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
    def for_preset(cls, config: HostConfiguration) -> "RuntimeBounds":
        small = config.n_validators <= 8
        if not small:
            return cls(genesis=config, n_parachains=config.n_parachains, n_parathreads=0, max_blocks=0,
                       max_sessions=0, genesis_seed=0, seeds=(1,), max_upgrades=0, register_para=None, setters=())
        n_parachains, n_parathreads = 1, 1
        genesis = attrs.evolve(config, n_parachains=n_parachains, parathread_cores=1,
                               **EXPLORATION_TIMING).validate()
        return cls(
            genesis=genesis,
            n_parachains=n_parachains,
            n_parathreads=n_parathreads,
            max_blocks=5,
            max_sessions=1,
            genesis_seed=1,
            seeds=(2,),
            max_upgrades=1,
            register_para=2,
            setters=(("parathread_cores", 1, 0),),
        )
