import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


#: The test files that take longest, longest first. ``make test`` hands whole files to its two workers
#: (``--dist loadfile --no-loadscope-reorder``) in collection order, which this list decides: the long
#: files start first and the short ones fill in at the end, so the workers finish together. (xdist's
#: own order, by number of tests, left files of few but long tests for the end, with one worker idle.)
#: Figures marked "CPU" are CPU seconds of the file alone (its subprocesses and workers included),
#: measured at a load of about 12 on the 2-core machine; the others are wall seconds at a load of 15-20
#: (several times a quiet machine's). The files without one were placed by what they run. A file not
#: listed runs after these, by name. (The default presets' exhaustive runs, inclusion tiny's 506,365
#: states among them, and every mutant are checked by ``make check``, against tests/manifest.toml.)
SLOW_FILES = [
    "tests/test_vectors.py",        # ~390 s CPU (was 587): the default suite (34,727 cases), generated (~320 s) and run
    "tests/test_manifest.py",       # 56 s CPU (was ~1,100 s wall with the default presets): the other pins
    "tests/test_checkpoint.py",     # 36 s CPU: killed and resumed searches of disputes tiny, in subprocesses
    "tests/test_authors_doc.py",    # 109 s: the authors' tutorial as a shell script
    "tests/test_authors.py",        # 97 s: paraspec subprocesses on a loaded spec
    "tests/test_parallel.py",       # 31 s CPU: one and two workers on availability trio and inclusion
    "tests/test_spine.py",          # 26 s CPU (was ~230 s with inclusion tiny in full): free_core_bit=reject
    "tests/test_upgrades.py",
    "tests/test_vectors_runner.py",
    "tests/test_symbolic_proofs.py",
    "tests/test_avail_core.py",     # 69 s: against SPIN's and Quint's counts
    "tests/test_vectors_effects.py",
    "tests/test_symbolic_agreement.py",
    "tests/test_cli.py",            # 52 s
    "tests/test_hostile_inputs.py",  # 49 s
    "tests/test_cli_explains.py",   # 46 s
    "tests/test_mutants.py",        # 7 s CPU (was 40 s, 244 mutants): a sample of 26
]


def pytest_collection_modifyitems(config, items):
    rank = {name: k for k, name in enumerate(SLOW_FILES)}
    order = sorted(range(len(items)), key=lambda k: (rank.get(items[k].nodeid.split("::")[0], len(rank)), k))
    items[:] = [items[k] for k in order]
