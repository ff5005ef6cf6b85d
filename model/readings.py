"""The two readings of the whole host: ``seed`` and ``sdk`` (decision CFG-D5).

Every machine's ``Params`` has a field ``reading``:

* ``seed`` (the default): the seeds' reading where they are explicit, polkadot-sdk's
  where they are silent;
* ``sdk``: polkadot-sdk's behaviour wherever the seeds and polkadot-sdk differ and the
  model can state it (``docs/decisions.md`` lists each decision and what selects it).

The older per-rule switches are parts of the reading: :data:`SWITCHES` gives each one's
value under each reading. Selecting a reading (``--reading R``, or ``reading`` among the
overrides the registry applies) sets every switch the machine's ``Params`` has to R's
value. Under ``sdk`` a switch that contradicts the reading is refused (CFG-1), so an
``sdk`` run is the deployed protocol and nothing else. Under ``seed`` a switch may
still select one other reading of its one rule (``--set backing_threshold=sdk``): a
deliberate mix, recorded in the parameters of every report beside ``reading``.
"""

from __future__ import annotations

from typing import Any

import attrs

from .config import ConfigError
from .rules import implements

__all__ = ["READINGS", "SWITCHES", "check_reading", "with_reading", "is_sdk"]

#: the readings, the default first
READINGS = ("seed", "sdk")

#: per-rule switch -> its value under each reading (decisions INC-D1, AV-D2, ESC-D1)
SWITCHES: dict[str, dict[str, str]] = {
    "backing_threshold": {"seed": "majority", "sdk": "sdk"},
    "free_core_bit": {"seed": "disregard", "sdk": "bit"},
    "dispute_rule": {"seed": "seed", "sdk": "sdk"},
}


@implements("CFG-1")
def check_reading(params: Any) -> None:
    """Raise :class:`ConfigError` (CFG-1) unless ``params.reading`` is a reading and, under
    ``sdk``, every per-rule switch of ``params`` has its sdk value."""
    reading = getattr(params, "reading", "seed")
    if reading not in READINGS:
        raise ConfigError("reading", "CFG-1", f"must be one of {', '.join(READINGS)}, got {reading!r}")
    if reading == "seed":
        return
    for switch, values in SWITCHES.items():
        if hasattr(params, switch) and getattr(params, switch) != values[reading]:
            raise ConfigError(switch, "CFG-1", f"{getattr(params, switch)!r} contradicts reading={reading} "
                                               f"(which takes {switch}={values[reading]}; CFG-D5)")


def with_reading(params: Any, reading: str) -> Any:
    """``params`` under ``reading``: the field set and every per-rule switch it has set to
    the reading's value (not validated: the caller validates after its other overrides)."""
    if reading not in READINGS:
        raise ConfigError("reading", "CFG-1", f"must be one of {', '.join(READINGS)}, got {reading!r}")
    if "reading" not in attrs.fields_dict(type(params)):  # a machine of one reading (a loaded spec's)
        if reading == "seed":
            return params
        raise ConfigError("reading", "CFG-1", f"this machine has one reading only (its Params has no field "
                                              f"'reading'), so reading={reading} cannot be honoured")
    changes: dict[str, Any] = {"reading": reading}
    for switch, values in SWITCHES.items():
        if hasattr(params, switch):
            changes[switch] = values[reading]
    return attrs.evolve(params, **changes)


def is_sdk(params: Any) -> bool:
    """Whether ``params`` select polkadot-sdk's reading."""
    return getattr(params, "reading", "seed") == "sdk"
