"""Which suite a handler's cases belong to: what kind of client entry point they drive.

* ``runtime``: one relay-chain block per case (the ``runtime`` machine's ``relay_block``):
  the whole inherent (dispute statement sets, bitfields, backed candidates) and the block's calls as input,
  the runtime's storage items (``docs/vectors-mapping.md``) as pre- and post-state, the
  block's events in the state, and the error. What a runtime (a pallet set) executes.
* ``runtime_module``: runtime logic at one module's entry point, narrower than a block
  (a bitfield at a time, a pallet's hook, a governance call, a runtime-API query).
* ``node``: node-side behaviour with no runtime entry point: backing, approval checking,
  the overseer, and the node-side steps of the candidate pipeline (collate, statement, drop).
* ``protocol``: abstract protocol machines (disputes across forks, escalation, halts,
  rescue, rollback, PoA, the upgrade RFC, the benchmark twin) that no single client entry
  point takes whole.

Each machine declares its suite (``Machine.vector_suite``, and ``handler_suites`` for handlers
that differ). The split is recorded in ``index.json`` (``suites``); ``vectors run --suite NAME``
selects one.
"""

from __future__ import annotations

__all__ = ["SUITES", "BLOCK_SUITE", "RUNTIME_SUITES", "suite_of"]

SUITES = {
    "runtime": "one relay-chain block per case: the whole inherent in, the runtime's storage items before and "
               "after, its events and error",
    "runtime_module": "runtime logic at one module's entry point (a bitfield, a pallet hook, a call, a query)",
    "node": "node-side behaviour: backing, approval checking, the overseer, collate/statement/drop",
    "protocol": "abstract protocol machines with no single client entry point",
}
#: the suite of whole relay-chain blocks, and the suites a runtime executes
BLOCK_SUITE = "runtime"
RUNTIME_SUITES = (BLOCK_SUITE, "runtime_module")


def suite_of(qualified: str) -> str:
    """The suite of handler ``machine/handler``."""
    from ..registry import get_machine_class

    machine, _, handler = qualified.partition("/")
    cls = get_machine_class(machine)
    return cls.handler_suites.get(handler, cls.vector_suite)
