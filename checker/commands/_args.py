"""Argument types and checks shared by the subcommands (one-line errors, exit 2)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..registry import UsageError


def positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return v


def positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not v > 0 or v != v or v == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return v


def add_preset(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", metavar="NAME", help="configuration preset (default: tiny; see `paraspec list`)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="override one configuration field of the preset (repeatable)")
    add_reading(p)


def add_reading(p: argparse.ArgumentParser) -> None:
    """``--reading seed|sdk``: the reading of the whole host (decision CFG-D5)."""
    from paraspec.model.readings import READINGS

    p.add_argument("--reading", choices=READINGS, default=None,
                   help="seed (default: the seeds where explicit, polkadot-sdk where they are silent) or sdk "
                        "(polkadot-sdk wherever the two differ); sets the per-rule switches (docs/decisions.md)")


def overrides_of(args: argparse.Namespace) -> dict[str, str]:
    """The ``--set`` overrides with ``--reading`` among them (as ``reading``)."""
    out = parse_sets(getattr(args, "set", []) or [])
    reading = getattr(args, "reading", None)
    if reading is not None:
        if "reading" in out and out["reading"] != reading:
            raise UsageError(f"--reading {reading} and --set reading={out['reading']} disagree")
        out["reading"] = reading
    return out


def with_seed(args: argparse.Namespace, seed: int) -> argparse.Namespace:
    """A copy of ``args`` simulating one seed (``--seeds``: each seed is its own run)."""
    import copy

    one = copy.copy(args)
    one.seed, one.seeds = seed, 1
    return one


def parse_sets(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--set {item!r}: expected FIELD=VALUE")
        k, v = item.split("=", 1)
        if not k:
            raise UsageError(f"--set {item!r}: empty field name")
        out[k.strip()] = v.strip()
    return out


def check_preset(name: str, machines) -> None:
    """Every machine in ``machines`` defines preset ``name`` (a preset is never
    remapped): otherwise one line naming the machines that lack it."""
    from ..registry import get_machine_class

    lacking = [m for m in machines if name not in get_machine_class(m).presets]
    if lacking:
        first = get_machine_class(lacking[0])
        raise UsageError(f"--preset {name}: not a preset of {', '.join(lacking)} (the presets of {first.name}: "
                         f"{', '.join(first.presets)}; select machines that have it) (CFG-2)")


def check_writable(path: str, flag: str = "") -> None:
    """An output file can be written (see ``checker/outputs.py``): one line, exit 2, otherwise."""
    from ..outputs import check_file

    check_file(path, flag or "output")


def check_outputs(args: argparse.Namespace) -> Path | None:
    """Check, before any work starts, that the report files (``--json``, ``--junit``) can be
    written and that ``--trace-dir`` and ``--checkpoint``/``--resume`` (where the command has them)
    can be made and written: a file in place of a directory component, a name too long, a
    directory that cannot be written are one line, exit 2. Returns the trace directory (None when
    not asked for)."""
    from ..outputs import check_dir, dir_problem

    for flag in ("json", "junit"):
        value = getattr(args, flag, None)
        if value:
            check_writable(value, f"--{flag}")
    for flag in ("checkpoint", "resume"):
        value = getattr(args, flag, None)
        if value:
            problem = dir_problem(value) if flag == "resume" else None
            if problem is not None:
                problem = "no such checkpoint directory" if problem == "no such directory" else problem
                raise UsageError(f"--resume {value}: {problem}")
            check_dir(value, f"--{flag}")
    trace_dir = getattr(args, "trace_dir", None)
    if trace_dir:
        check_dir(trace_dir, "--trace-dir")
        return Path(trace_dir)
    return None
