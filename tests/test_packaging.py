"""Packaging: one import name, and nothing lost when paraspec is installed from a wheel.

The repository keeps ``model/``, ``properties/``, ``checker/`` and ``spec/`` at its top
level and installs them as ``paraspec.model`` ... through ``package-dir``. The end-to-end
test builds a wheel from a clean copy of the tree (the files git tracks or would track),
installs it with its dependencies into a new virtual environment, and runs it from an
unrelated folder: it must report the same rules, properties and mutants as the source
tree, and write rule cases.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from paraspec.checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def _source_packages() -> set[str]:
    """Every folder below the mapped roots that holds Python or data files, as the dotted
    name it installs under."""
    out = set()
    for pkg, folder in SETUPTOOLS["package-dir"].items():
        base = ROOT / folder
        for d in [base, *[p for p in base.rglob("*") if p.is_dir()]]:
            if "__pycache__" in d.parts or d.name.startswith("."):
                continue
            if any(f.suffix in (".py", ".json", ".md") for f in d.iterdir() if f.is_file()):
                rel = d.relative_to(base).parts
                out.add(".".join((pkg, *rel)))
    return out


def test_every_folder_with_code_or_data_is_packaged():
    listed = set(SETUPTOOLS["packages"])
    # the sub-packages of a mapped package come from its own folder, so a mapping of a
    # child ("paraspec.model" under "paraspec") must not be counted twice
    assert _source_packages() - listed == set()
    assert listed - _source_packages() == set()


def test_package_data_covers_the_data_files():
    data = SETUPTOOLS["package-data"]
    for pkg in SETUPTOOLS["packages"]:
        folder = ROOT / SETUPTOOLS["package-dir"].get(pkg, "")
        if pkg not in SETUPTOOLS["package-dir"]:
            parent = max((p for p in SETUPTOOLS["package-dir"] if pkg.startswith(p + ".")), key=len)
            folder = ROOT / SETUPTOOLS["package-dir"][parent] / Path(*pkg[len(parent) + 1:].split("."))
        files = [f for f in folder.iterdir() if f.is_file() and f.suffix in (".json", ".md")]
        if files:
            patterns = data.get(pkg, [])
            assert patterns, f"{pkg} holds data files ({files[0].name}) but declares no package-data"


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("paraspec ") and out.split()[1][0].isdigit()


def _clean_copy(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode("utf-8", "surrogateescape").split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _run(cmd, cwd, timeout=900):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert p.returncode == 0, f"{cmd}: exit {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
    return p.stdout


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the tree's files")
    tmp = tmp_path_factory.mktemp("wheel")
    src = _clean_copy(tmp / "src")
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)], cwd=tmp)
    (whl,) = dist.glob("paraspec-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(whl)], cwd=tmp)
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    return whl, venv, elsewhere


def test_wheel_has_one_top_level_name(wheel_env):
    whl, _, _ = wheel_env
    with zipfile.ZipFile(whl) as z:
        names = z.namelist()
        top_level = z.read(next(n for n in names if n.endswith(".dist-info/top_level.txt"))).decode().split()
    assert top_level == ["paraspec"]
    roots = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert roots == {"paraspec"}
    assert any(n.startswith("paraspec/spec/") and n.endswith(".md") for n in names)
    assert any(n.startswith("paraspec/checker/schemas/") and n.endswith(".json") for n in names)


def test_wheel_lists_what_the_tree_lists(wheel_env, capsys):
    _, venv, elsewhere = wheel_env
    installed = json.loads(_run([str(venv / "bin" / "paraspec"), "list", "--json"], cwd=elsewhere))
    assert main(["list", "--json"]) == 0
    here = json.loads(capsys.readouterr().out)
    for key in ("machines", "properties", "mutants", "rules", "presets"):
        assert installed[key] == here[key], key
    assert len(installed["rules"]) > 200


def test_wheel_is_imported_from_site_packages(wheel_env):
    _, venv, elsewhere = wheel_env
    where = _run([str(venv / "bin" / "python"), "-c",
                  "import paraspec, paraspec.model.core as c, paraspec.spec as s; "
                  "print(paraspec.__file__); print(c.__file__); print(len(paraspec.rules()))"], cwd=elsewhere)
    init, core, n_rules = where.split()
    assert str(venv) in init and str(venv) in core
    assert int(n_rules) > 200


def test_wheel_writes_rule_cases(wheel_env):
    _, venv, elsewhere = wheel_env
    _run([str(venv / "bin" / "paraspec"), "vectors", "generate", "--out", "v", "--machine", "availability",
          "--max-states", "2000", "-q"], cwd=elsewhere)
    index = json.loads((elsewhere / "v" / "index.json").read_text())
    rule_files = sorted(p.name for p in (elsewhere / "v").rglob("rule_*.json"))
    assert sum(h["rule"] for h in index["handlers"].values()) == len(rule_files) > 0
    assert "rule_AV-6_positive.json" in rule_files and "rule_AV-6_negative.json" in rule_files
    assert index["gaps"] == [], index["gaps"]


def test_the_library_api_in_a_few_lines():
    import paraspec

    assert "disputes" in paraspec.machines()
    m = paraspec.build("escalation", preset="tiny", overrides={"n_validators": 7})
    r = paraspec.check(m)
    assert (r.states, r.complete, r.ok) == (3694, True, True)
    assert r.parameters["n_validators"] == 7
    assert paraspec.check("escalation", max_states=100).states <= 101
    assert "AV-6" in paraspec.rules()
    with pytest.raises(AttributeError):
        paraspec.no_such_name  # noqa: B018


def test_the_repository_holds_only_the_cards_top_level():
    """Nothing a run writes (a vector suite named by a fuzzed --out, a report) is committed:
    the tracked top level is the design card's."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    top = {n.split(b"/")[0].decode("utf-8", "surrogateescape") for n in names.split(b"\0") if n}
    assert top <= {".ci", ".github", ".gitignore", "LICENSE", "Makefile", "README.md", "pyproject.toml", "paraspec", "spec",
                   "model", "properties", "checker", "tests", "docs", "benchmarks", "examples"}, sorted(top)
