"""Ray itself: import it (or say in one line that the extra is missing), start a local
Ray or join a cluster, and turn a dead worker into one line."""

from __future__ import annotations

import logging
import os
from typing import Any

from ..registry import UsageError

__all__ = ["RayFailure", "require_ray", "connect", "dead_worker"]


class RayFailure(UsageError):
    """Ray is missing, could not start, or a worker died: one line, exit 2 (never a verdict)."""


def require_ray():
    """The ``ray`` module, or :class:`RayFailure` when the extra is not installed."""
    try:
        import ray
    except ImportError:
        raise RayFailure("--ray: Ray is not installed (pip install 'paraspec[ray]')") from None
    return ray


def connect(address: str | None, workers: int) -> Any:
    """Start a local Ray with ``workers`` CPUs (no address) or join the cluster at
    ``address``; a Ray already initialised in this process is reused."""
    ray = require_ray()
    if ray.is_initialized():
        return ray
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        if address:
            ray.init(address=address, log_to_driver=False, logging_level="ERROR")
        else:
            # Ray's notice that its own local cluster uses token authentication (its default) is not ours
            # to print on every run
            logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
            # "local": a new Ray of our own even when `ray start` left a cluster on this node (or
            # RAY_ADDRESS names one), which ray.init() without an address would join instead
            ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False,
                     logging_level="ERROR", configure_logging=False)
    except Exception as e:  # a refused address, a cluster that does not answer, ...
        where = f"address {address}" if address else "a local Ray"
        raise RayFailure(f"--ray: could not start {where}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
    return ray


def dead_worker(e: BaseException, what: str) -> RayFailure:
    """The one line for a worker that died (killed, out of memory, its node lost)."""
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return RayFailure(f"--ray: {what} died mid-run ({type(e).__name__}: {first[:160]}); "
                      "no verdict is reported (rerun, or resume from a checkpoint)")
