"""What the commands call for ``--ray`` (kept here so the command modules stay small)."""

from __future__ import annotations

import argparse
import copy
from typing import Any

from ..registry import UsageError
from .options import ray_address, ray_workers
from .runtime import connect, dead_worker, require_ray

__all__ = ["start", "search", "simulate_seeds"]


def start(args: argparse.Namespace) -> None:
    """Check what ``--ray`` cannot be combined with, then start or join Ray (one line, exit 2, on failure)."""
    require_ray()
    if getattr(args, "workers", 1) > 1:
        raise UsageError("--ray and --workers: the Ray search partitions the work itself (use --ray-workers)")
    if getattr(args, "engine", "auto") == "vector" and not getattr(args, "simulate", False):
        raise UsageError("--ray --engine vector: the Ray search is the explicit engine (use --engine explicit/auto)")
    connect(ray_address(args), ray_workers(args))


def search(args: argparse.Namespace, checker, engine: str):
    """The exhaustive search of one machine on Ray."""
    from .search import run_ray

    return run_ray(checker.with_engine("explicit"), ray_workers(args), ray_address(args))


def _one_seed(args: argparse.Namespace, machine, props, seed: int):
    from ..commands._args import with_seed
    from ..commands.check import _simulate_one

    local = with_seed(args, seed)
    local.ray = None
    return _simulate_one(local, machine, props, None)


def simulate_seeds(args: argparse.Namespace, machine, props) -> list[Any]:
    """Seeds ``--seed .. --seed + --seeds - 1`` as Ray tasks (each seed walks as it does locally),
    in seed order."""
    ray = require_ray()
    task = ray.remote(num_cpus=1)(_one_seed)
    plain = copy.copy(args)
    plain.func = None  # the parser's callback need not travel
    refs = [task.remote(plain, machine, props, args.seed + k) for k in range(args.seeds)]
    try:
        return ray.get(refs)
    except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError, ray.exceptions.ObjectLostError) as e:
        raise dead_worker(e, "a simulation task") from None


def _cases_task(preset: str, name: str, opts, catalogue: dict):
    from ..vectors.generate import machine_cases

    lines: list[str] = []
    g = machine_cases(preset, name, opts, catalogue, lines.append)
    g.log = None  # the list stays here; its lines travel beside
    return g, lines


def vector_cases(jobs: list, opts, catalogue: dict, log) -> list:
    """``vectors generate --ray``: every (preset, machine)'s pool and cases as a Ray task; the
    suite is then written in this process exactly as locally (same order, same bytes)."""
    ray = require_ray()
    task = ray.remote(num_cpus=1)(_cases_task)
    refs = [task.remote(preset, name, opts, catalogue) for preset, name in jobs]
    try:
        got = ray.get(refs)
    except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError, ray.exceptions.ObjectLostError) as e:
        raise dead_worker(e, "a vector generation task") from None
    out = []
    for g, lines in got:
        for line in lines:
            log(line)
        out.append(g)
    return out
