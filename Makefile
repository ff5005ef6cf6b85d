# paraspec: `make check` runs the model checker on the default preset and the symbolic proofs (lemmas for
# every n, k-induction of the machines); `make test` runs the tests.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp
JOBS    ?= 2

.PHONY: check prove test docs clean venv

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,docs]'
	touch $(STAMP)

venv: $(STAMP)

check: $(STAMP)
	$(BIN)/paraspec check
	$(BIN)/paraspec prove

prove: $(STAMP)
	$(BIN)/paraspec prove

test: $(STAMP)
	$(BIN)/pytest -n $(JOBS)

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

clean:
	rm -rf $(VENV) docs/_build docs/_spec *.egg-info
