"""The ``--ray`` options of the commands (``check``, ``vectors generate``)."""

from __future__ import annotations

import argparse

__all__ = ["add_ray_args", "ray_address", "ray_workers"]


def add_ray_args(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help=f"{what} on Ray (the extra paraspec[ray]): a local Ray without ADDRESS, else join the "
                        "cluster at ADDRESS (host:port, ray://host:port or auto)")
    p.add_argument("--ray-workers", type=_positive, default=2, metavar="N",
                   help="with --ray: partitions (actors) or concurrent tasks, and a local Ray's CPUs (default 2)")


def _positive(text: str) -> int:
    from ..commands._args import positive_int

    return positive_int(text)


def looks_like_address(text: str) -> bool:
    return text == "auto" or ":" in text


def split_ray_arg(args: argparse.Namespace, positional: str | None = None) -> None:
    """``--ray NAME`` where NAME is no address (``check --ray inclusion``): NAME was a positional."""
    value = getattr(args, "ray", None)
    if value and not looks_like_address(value) and positional is not None:
        getattr(args, positional).insert(0, value)
        args.ray = ""


def ray_address(args: argparse.Namespace) -> str | None:
    return args.ray or None


def ray_workers(args: argparse.Namespace) -> int:
    return args.ray_workers
