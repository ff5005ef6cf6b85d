"""Joining an existing cluster by address: `ray start --head` on a free port (a cluster of one
node, this one, in its own temporary directory), then `paraspec check --ray 127.0.0.1:PORT`
in another process gives the local report. The head runs without token authentication
(RAY_AUTH_MODE=disabled, bound to 127.0.0.1), so the test writes no token into the home
directory; docs/ray.md says how to join a cluster that asks for one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from paraspec.checker.cli import main

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def head():
    port = _free_port()
    tmp = tempfile.mkdtemp(prefix="rj", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    log = open(Path(tmp) / "start.log", "w")
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    p = subprocess.Popen([str(BIN / "ray"), "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
                          "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", "--block",
                          # no fixed ports (Ray's defaults 8265 and 52365 may be taken)
                          f"--dashboard-port={_free_port()}", f"--dashboard-agent-listen-port={_free_port()}",
                          f"--temp-dir={tmp}"], stdout=log, stderr=subprocess.STDOUT, env=env,
                         start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while "Ray runtime started" not in (Path(tmp) / "start.log").read_text():
            assert p.poll() is None and time.monotonic() < deadline, (Path(tmp) / "start.log").read_text()[-2000:]
            time.sleep(1)
        yield f"127.0.0.1:{port}", Path(tmp)
    finally:
        # only what this fixture started: `ray start --block` stops its processes on SIGTERM
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        try:
            os.killpg(p.pid, signal.SIGKILL)  # anything of its group left behind
        except ProcessLookupError:
            pass
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _rows(path: Path) -> list:
    rows = json.loads(path.read_text())["results"]
    for r in rows:
        r.pop("elapsed_s")
        r.pop("engine")
    return rows


def test_check_joins_a_cluster_by_address(head, tmp_path):
    address, ray_tmp = head
    drivers = set(ray_tmp.glob("session_*/logs/python-core-driver-*"))
    assert main(["check", "configuration", "--mutant", "cfg_any_origin", "-q",
                 "--json", str(tmp_path / "local.json")]) == 1
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "RAY_AUTH_MODE")}
    p = subprocess.run([str(BIN / "paraspec"), "check", "configuration", "--mutant", "cfg_any_origin", "-q",
                        "--ray", address, "--json", str(tmp_path / "joined.json")],
                       capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 1, p.stderr[-2000:]
    joined = json.loads((tmp_path / "joined.json").read_text())["results"]
    assert [r["engine"] for r in joined] == ["ray x2"]
    assert _rows(tmp_path / "joined.json") == _rows(tmp_path / "local.json")
    # the search's driver was a driver of that cluster (not of a Ray of its own)
    assert set(ray_tmp.glob("session_*/logs/python-core-driver-*")) - drivers
