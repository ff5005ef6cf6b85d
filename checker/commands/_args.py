"""Argument types and checks shared by the subcommands (one-line errors, exit 2)."""

from __future__ import annotations

import argparse
import os
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


def check_writable(path: str) -> None:
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise UsageError(f"{path}: directory {parent} does not exist")
    if Path(path).is_dir():
        raise UsageError(f"{path}: is a directory")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{path}: directory {parent} is not writable")


def check_outputs(args: argparse.Namespace) -> Path | None:
    """Check the report files (``--json``, ``--junit``) can be written and ``--trace-dir`` is
    a directory or absent; returns the trace directory (None when not asked for)."""
    for a in (args.json, args.junit):
        if a:
            check_writable(a)
    trace_dir = Path(args.trace_dir) if args.trace_dir else None
    if trace_dir is not None and trace_dir.exists() and not trace_dir.is_dir():
        raise UsageError(f"--trace-dir: {trace_dir} exists and is not a directory")
    return trace_dir
