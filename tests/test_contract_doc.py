"""The example machine of docs/contract.md runs as written: built from its own presets,
explored, its parameter honoured, a host preset refused (in a subprocess, so the
example's registration does not join this process's machines)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_contract_example_runs(tmp_path):
    text = (ROOT / "docs" / "contract.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    script = code + '''
from paraspec.checker.explicit import Checker
from paraspec.checker.registry import UsageError, build

r = Checker(build("counter")).run()
assert (r.states, r.complete, r.rejections) == (4, True, {"CNT-1": 1}), r
assert r.parameters == {"preset": "tiny", "limit": 3}
assert Checker(build("counter", "n10")).run().states == 11
assert Checker(build("counter", overrides={"limit": "5"})).run().states == 6
for bad in (dict(preset="polkadot"), dict(overrides={"limit": 0}), dict(overrides={"n_validators": 4})):
    try:
        build("counter", **bad)
    except UsageError as e:
        assert "counter" in str(e), e
    else:
        raise AssertionError(bad)
print("ok")
'''
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.strip() == "ok"
