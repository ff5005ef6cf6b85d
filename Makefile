# paraspec: `make check` runs the model checker on the default preset (its figures checked against the pins of
# tests/manifest.toml), every mutant, and the symbolic proofs (lemmas for every n, k-induction of the machines);
# `make test` runs the tests.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp
JOBS    ?= 2
REPORTS ?= out

.PHONY: check prove test fuzz docs clean venv bench tour

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,docs]'
	touch $(STAMP)

venv: $(STAMP)

$(REPORTS):
	mkdir -p $(REPORTS)

check: $(STAMP) | $(REPORTS)
	$(BIN)/paraspec check --manifest tests/manifest.toml --json $(REPORTS)/check.json --junit $(REPORTS)/check.xml --trace-dir $(REPORTS)/traces
	$(BIN)/paraspec check --all-mutants --json $(REPORTS)/mutants.json
	$(BIN)/paraspec prove --json $(REPORTS)/prove.json

prove: $(STAMP)
	$(BIN)/paraspec prove

# loadfile: a test file runs on one worker, so its module fixtures (the vector suite) are built once;
# files are handed out in collection order, the slowest first (tests/conftest.py SLOW_FILES)
test: $(STAMP)
	$(BIN)/pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder -m "not ray"

# `make ray`: install the extra paraspec[ray] into the venv and run the Ray tests (tests/ray, local Ray, 2 workers)
.PHONY: ray
ray: $(STAMP)
	$(BIN)/pip install -q -e '.[ray]'
	$(BIN)/pytest -q tests/ray

# `make fuzz`: the fuzzing suite (tests/fuzz) with its full profile: >= 2,000 generated malformed inputs per
# channel (CLI arguments, ITF traces, scenarios, vector suites, adapter protocol); each input runs under a
# 60 s hang guard, the whole run under FUZZ_TIMEOUT seconds. Counts: $(REPORTS)/fuzz-counts.json.
FUZZ_TIMEOUT ?= 5400
fuzz: $(STAMP)
	PARASPEC_FUZZ=full PARASPEC_FUZZ_REPORT=$(REPORTS)/fuzz-counts.json timeout $(FUZZ_TIMEOUT) $(BIN)/pytest -q -rxf tests/fuzz

# `make tour`: every command of the README tour, in order, on a fresh copy, each with the exit code the
# README states (tests/tour_readme.py; slow: the whole tour, not part of `make test`)
tour: $(STAMP)
	$(BIN)/pytest -q -s -p no:xdist tests/tour_readme.py

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

clean:
	rm -rf $(VENV) docs/_build docs/_spec *.egg-info

# `make bench`: paraspec beside SPIN and Quint on the avail_core twin (installs the peers when missing;
# Quint goes into benchmarks/.cache, never committed); BENCH_ARGS=--quick skips the longest runs.
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/ray_bench.py

# conformance vectors: generate (prints cases per handler, mutation adequacy, time), then the self-test
# and the independent Node.js implementation (skipped when node is absent), and the Go implementation of
# the runtime suite (skipped when go is absent)
.PHONY: vectors
vectors: $(STAMP)
	$(BIN)/paraspec vectors generate --out vectors
	$(BIN)/paraspec vectors run vectors --adapter "$(BIN)/paraspec adapter" --quiet
	@if command -v node >/dev/null 2>&1; then \
		$(BIN)/paraspec vectors run vectors --machine availability --machine inclusion --adapter "node examples/adapters/node/adapter.js" --quiet; \
	else echo "node not found: the Node.js adapter is not run"; fi
	@if command -v go >/dev/null 2>&1; then \
		(cd examples/adapters/go && GOFLAGS=-mod=mod GOPROXY=off go build -o ../../../build/go-adapter .) && \
		$(BIN)/paraspec vectors run vectors --suite runtime --adapter build/go-adapter --quiet; \
	else echo "go not found: the Go adapter is not run (apt-get install golang-go)"; fi
