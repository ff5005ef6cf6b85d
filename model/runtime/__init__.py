"""The relay-chain runtime modules of [IG §2.5], composed into the reference interpreter.

* ``configuration``: Configuration module (CFG-*), machine ``configuration``;
* ``paras``: Paras module (PAR-*), machine ``paras``;
* ``scheduler``: Scheduler module (SCH-*), machine ``scheduler``;
* ``inclusion``: Inclusion module of the runtime (INC-20 ..), on the spine's rules;
* ``runtime``: Initializer (INI-*), InclusionInherent and the composition (RT-*):
  :meth:`RuntimeModel.apply_block` is the block function, machine ``runtime``.
"""

from .runtime import (  # noqa: F401
    InclusionInherent,
    RelayBlock,
    RuntimeMachine,
    RuntimeModel,
    RuntimeState,
    SessionChange,
)

__all__ = ["InclusionInherent", "RelayBlock", "RuntimeMachine", "RuntimeModel", "RuntimeState", "SessionChange"]
