# edgesplit: `make demo` sets everything up and runs the main job; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# pytest workers: the suite is split over the machine's cores
JOBS   ?= auto

.PHONY: all venv demo test test-all lint bench profiles clean

all: test

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[torch,dev]'
	touch $(STAMP)

venv: $(STAMP)

# the main job: profile resnet34 here and solve 000's split problem, then every paper's
# reproduction in quick mode with the cross-paper report out/report.md
demo: $(STAMP)
	$(VENV)/bin/edgesplit demo --out out --quick
	$(VENV)/bin/edgesplit reproduce all --quick --out out

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow" -n $(JOBS)

test-all: $(STAMP)
	$(PY) -m pytest -q -n $(JOBS)

lint: $(STAMP)
	$(VENV)/bin/ruff check edgesplit tests benchmarks

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

# re-measure the bundled profiles on this machine (latencies change, work and bytes do not)
profiles: $(STAMP)
	$(PY) -m edgesplit.profiles.build_data

clean:
	rm -rf out .pytest_cache build *.egg-info
