"""The manifest: pinned figures of complete searches, checked by ``paraspec check --manifest FILE``.

The way TLA+ example manifests pin TLC's results, each pin names one configuration of a machine
(its preset, and the ``--set`` overrides and ``--reading`` it is checked with) and the figures of a
complete breadth-first search of it with all of its properties: distinct states, transitions,
depth, the rule IDs that reject some input on the way, and the verdicts. Every property is
expected to hold (its witness firing at least once, so it is not vacuous) or, for a reachability
property, to be witnessed, except where the pin lists another verdict under ``exceptions``.

The file is TOML, one ``[[pin]]`` table per configuration (``tests/manifest.toml``)::

    [[pin]]
    machine = "backing"
    preset = "tiny"
    reading = "sdk"                              # optional, as --reading
    set = { backing_threshold = "two_thirds" }   # optional, as --set FIELD=VALUE
    states = 8776
    transitions = 68900
    depth = 11
    rejects = ["BCK-1", "BCK-2"]
    exceptions = { some_property = "unwitnessed" }   # optional
    symmetry = true                              # optional, as --symmetry

A run of ``check`` matches a pin when it is of the same machine (not a mutant) with the same
parameters (``Result.parameters``: the preset's name and every honoured value, overrides applied)
and the same reduction: a pin with ``symmetry = true`` holds the figures of the search of one state
per orbit of the machine's declared symmetry (``--symmetry``) and matches only such a run; a pin
without it matches only a full search. A machine that declares no symmetry takes no such pin.
A matched run that differs from its pin is a failure, one line naming the pin; a bad manifest is
one line naming the file, the pin and the field (exit 2).
"""

from __future__ import annotations

import tomllib
from typing import Any

import attrs

from .registry import UsageError, build, properties_of
from .results import Result, Verdict

__all__ = ["Pin", "load", "problems", "reduced", "verify"]

_REQUIRED = {"machine": str, "preset": str, "states": int, "transitions": int, "depth": int, "rejects": list}
_OPTIONAL = {"reading": str, "set": dict, "exceptions": dict, "symmetry": bool}
_VERDICTS = (Verdict.HOLDS, Verdict.VIOLATED, Verdict.VACUOUS, Verdict.WITNESSED, Verdict.UNWITNESSED)


@attrs.frozen
class Pin:
    machine: str
    preset: str
    #: the overrides as ``--set`` (and ``--reading``, as ``reading``) give them
    overrides: dict[str, str]
    states: int
    transitions: int
    depth: int
    #: the rule IDs that reject at least one explored input
    rejects: frozenset[str]
    #: property -> verdict, where it is not the expected one
    exceptions: dict[str, str]
    #: the parameters of the configuration (``Machine.parameter_values``), which a run must have
    parameters: dict[str, Any] = attrs.field(eq=False, repr=False)
    #: the figures are those of the symmetry-reduced search (``--symmetry``)
    symmetry: bool = False

    @property
    def id(self) -> str:
        ov = ",".join(f"{k}={v}" for k, v in self.overrides.items())
        return f"{self.machine}@{self.preset}" + (f"[{ov}]" if ov else "") + ("+symmetry" if self.symmetry else "")

    def matches(self, r: Result) -> bool:
        return (r.mutant is None and r.machine == self.machine and r.parameters == self.parameters
                and reduced(r) == self.symmetry)


def reduced(r: Result) -> bool:
    """Whether the run explored one state per orbit of a symmetry (its engine says so)."""
    return r.engine.endswith("+symmetry")


def load(path: str) -> list[Pin]:
    """The pins of the manifest at ``path``; a file that cannot be read, is not TOML, or has a pin
    with a missing or unknown field, a machine, preset or override the registry refuses, or an
    unknown property is a :class:`UsageError` (one line naming the file, the pin and the field)."""
    from .limits import MAX_FILE_BYTES

    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as e:
        raise UsageError(f"--manifest {path}: {getattr(e, 'strerror', None) or e}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise UsageError(f"--manifest {path}: larger than {MAX_FILE_BYTES:,} bytes (MAX_FILE_BYTES)")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"--manifest {path}: not a TOML file ({' '.join(str(e).split())})") from None
    unknown = set(data) - {"pin"}
    if unknown:
        raise UsageError(f"--manifest {path}: unknown top-level key {sorted(unknown)[0]!r} (expected [[pin]] tables)")
    pins = data.get("pin", [])
    if not isinstance(pins, list) or not all(isinstance(p, dict) for p in pins):
        raise UsageError(f"--manifest {path}: 'pin' must be an array of tables ([[pin]])")
    return [_pin(path, k + 1, raw) for k, raw in enumerate(pins)]


def _pin(path, k: int, raw: dict) -> Pin:
    where = f"--manifest {path}: pin {k}" + (f" ({raw['machine']})" if isinstance(raw.get("machine"), str) else "")
    for key in raw:
        if key not in _REQUIRED and key not in _OPTIONAL:
            raise UsageError(f"{where}: unknown field {key!r} (fields: {', '.join([*_REQUIRED, *_OPTIONAL])})")
    for key, typ in {**_REQUIRED, **_OPTIONAL}.items():
        if key not in raw:
            if key in _REQUIRED:
                raise UsageError(f"{where}: field {key!r} is missing")
            continue
        if not isinstance(raw[key], typ) or (typ is int and (isinstance(raw[key], bool) or raw[key] < 0)):
            kind = "non-negative integer" if typ is int else {str: "string", list: "list", dict: "table", bool: "boolean"}[typ]
            raise UsageError(f"{where}: field {key!r} must be a {kind}")
    overrides = {str(f): str(v) for f, v in raw.get("set", {}).items()}
    if "reading" in raw:
        if "reading" in overrides:
            raise UsageError(f"{where}: 'reading' given both as a field and in 'set'")
        overrides = {"reading": raw["reading"], **overrides}
    try:
        machine = build(raw["machine"], raw["preset"], overrides=overrides or None)
    except UsageError as e:
        raise UsageError(f"{where}: {e}") from None
    parameters = machine.parameter_values()
    if raw.get("symmetry") and getattr(machine, "symmetry", None) is None:
        raise UsageError(f"{where}: field 'symmetry': {raw['machine']} declares no symmetry")
    names = {p.name for p in properties_of(raw["machine"])}
    exceptions = raw.get("exceptions", {})
    for name, verdict in exceptions.items():
        if name not in names:
            raise UsageError(f"{where}: field 'exceptions': {raw['machine']} has no property {name!r}")
        if verdict not in _VERDICTS:
            raise UsageError(f"{where}: field 'exceptions': {name} = {verdict!r} is not a verdict "
                             f"({', '.join(_VERDICTS)})")
    if not all(isinstance(r, str) for r in raw["rejects"]):
        raise UsageError(f"{where}: field 'rejects' must list rule IDs (strings)")
    return Pin(raw["machine"], raw["preset"], overrides, raw["states"], raw["transitions"], raw["depth"],
               frozenset(raw["rejects"]), dict(exceptions), parameters, raw.get("symmetry", False))


def expected_verdict(pin: Pin, prop) -> str:
    if prop.name in pin.exceptions:
        return pin.exceptions[prop.name]
    return Verdict.WITNESSED if prop.kind.value == "sometimes" else Verdict.HOLDS


def problems(pin: Pin, r: Result) -> list[str]:
    """How the run ``r`` differs from ``pin`` (empty when it agrees); only the properties the run
    checked are compared."""
    if r.error is not None:
        return [f"model error: {r.error.message}"]
    if not r.complete:
        return [f"the search is incomplete (stopped: {r.stopped})"]
    out = [f"{what} {got:,} (pinned {want:,})" for what, got, want in
           (("states", r.states, pin.states), ("transitions", r.transitions, pin.transitions),
            ("depth", r.depth, pin.depth)) if got != want]
    got = set(r.rejections)
    if got != pin.rejects:
        diff = [f"+{x}" for x in sorted(got - pin.rejects)] + [f"-{x}" for x in sorted(pin.rejects - got)]
        out.append(f"rejecting rules {' '.join(diff)}")
    for p in r.properties:
        want = expected_verdict(pin, p.property)
        if p.verdict != want:
            out.append(f"{p.property.name} {p.verdict} (pinned {want})")
        elif (p.property.kind.value in ("always", "transition") and p.witnessed == 0
              and p.property.name not in pin.exceptions):
            out.append(f"{p.property.name}: its witness never fires")
    return out


def verify(pins: list[Pin], results: list[Result], path: str) -> tuple[int, list[str]]:
    """(how many runs match a pin, one line per pin a matching run differs from)."""
    matched, failures = 0, []
    for r in results:
        hits = [p for p in pins if p.matches(r)]
        matched += bool(hits)
        for pin in hits:
            found = problems(pin, r)
            if found:
                failures.append(f"manifest {path}: {pin.id}: " + "; ".join(found))
    return matched, failures
