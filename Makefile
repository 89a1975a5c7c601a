# Common tasks. `make help` lists them.
PYTHON ?= python3
# Polars takes many minutes to compile on 2 cores: keep target directories across builds.
# maturin (the extension, the wheel) and plain cargo (clippy, the plugin's own tests) build
# the dependencies with different flags, and each would rebuild all of Polars after the
# other in a shared directory. The kernels crate builds without Polars.
TARGET_ROOT ?= $(HOME)/.cache/polars-alpha-target
install wheel: export CARGO_TARGET_DIR = $(TARGET_ROOT)/python
test-rust test-plugin lint: export CARGO_TARGET_DIR = $(TARGET_ROOT)/rust
# The fuzz crate (fuzz/) depends on the kernels alone, in its own workspace.
fuzz fuzz-explore: export CARGO_TARGET_DIR = $(TARGET_ROOT)/fuzz
FUZZ_TARGETS = rolling factor ewm weighted_alpha window ratios robust
# `make fuzz` (and CI) runs a fixed number of inputs per target from a fixed seed and the
# checked-in corpus, in a fresh working directory: each run does the same amount of work
# along nearly the same path, instead of rolling new dice on every commit. About 10 s a
# target. Search for new bugs with `fuzz-explore`.
FUZZ_SEED ?= 1
FUZZ_RUNS = rolling:30000 factor:30000 ewm:25000 weighted_alpha:400000 window:1500000 ratios:100000 robust:50000
# `make fuzz-explore` searches for new bugs: random seeds, a persistent working corpus.
FUZZ_SECONDS ?= 60
# The wheel is tested in fresh virtual environments that get only what its extras declare.
WHEEL_DIR ?= dist
WHEEL_ENV ?= $(TARGET_ROOT)/wheel-env
LOWEST_ENV ?= $(TARGET_ROOT)/lowest-polars-env
# The oldest Polars and NumPy that pyproject.toml claims; `test-lowest-polars` runs the suite
# on them.
LOWEST_POLARS = $(shell sed -n 's/.*"polars>=\([0-9.]*\)".*/\1/p' pyproject.toml)
LOWEST_NUMPY = $(shell sed -n 's/.*"numpy>=\([0-9.]*\)".*/\1/p' pyproject.toml)
# pyarrow 26 (pulled in by the dask and spark extras) needs NumPy 2 at import without saying
# so in its metadata: with the oldest NumPy, take a pyarrow that runs on it.
LOWEST_PYARROW = "pyarrow<26"

.PHONY: help install test test-rust test-plugin test-python lint format docs bench example \
	wheel test-wheel test-lowest-polars fuzz fuzz-explore

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

install:  ## build the extension (release) and install the package with its test, lint, docs, peer and plot tools
	$(PYTHON) -m pip install --quiet "maturin>=1.5,<2"
	$(PYTHON) -m pip install --quiet -e ".[test,lint,docs,bench,plot,dask,spark]"

test: test-rust test-python  ## run the kernels' Rust unit tests and the Python suite (with doctests)

test-rust:  ## the kernels' Rust unit tests (no Polars to compile)
	cargo test --release -p polars-alpha-kernels

test-plugin:  ## the plugin crate's Rust unit tests (panels, driver, masks; compiles Polars)
	cargo test --release -p polars-alpha

test-python:  ## Python tests, oracles and doctests
	$(PYTHON) -m pytest -q

lint:  ## formatting, clippy (every crate), ruff and mypy --strict
	cargo fmt --all --check
	cargo clippy --release --workspace --all-targets -- -D warnings
	$(PYTHON) -m ruff check python tests benches scripts
	$(PYTHON) -m ruff format --check python tests benches scripts
	$(PYTHON) -m mypy --strict python/polars_alpha benches

format:  ## apply cargo fmt and ruff format
	cargo fmt --all
	$(PYTHON) -m ruff format python tests benches scripts
	$(PYTHON) -m ruff check --fix python tests benches scripts

docs:  ## build the documentation site into site/ (mkdocs --strict)
	$(PYTHON) -m mkdocs build --strict

bench:  ## pytest-benchmark suite, timed (python benches/compare_peers.py for the peer table)
	$(PYTHON) -m pytest benches --benchmark-enable --benchmark-only

example:  ## screen the bundled sample, then run the README's quickstart
	$(PYTHON) -m polars_alpha screen
	$(PYTHON) examples/quickstart.py

wheel:  ## build the release wheel into dist/, check its contents and tag, print its size
	$(PYTHON) -m pip install --quiet "maturin>=1.5,<2"
	rm -rf $(WHEEL_DIR)
	$(PYTHON) -m maturin build --release --out $(WHEEL_DIR)
	$(PYTHON) scripts/check_wheel.py $(WHEEL_DIR)/*.whl

# The suite runs from a copy of the tests outside the source tree, so that nothing imports
# python/polars_alpha; the doctests run on the installed modules. The README's and the docs'
# examples come along (they run against the installed package too); the checks of what only a
# clone has (the README's links, the mkdocs build) skip there.
SUITE_FILES = tests benches examples docs README.md CHANGELOG.md mkdocs.yml
define run-installed-suite
	$(1)/bin/python -c "import numpy, polars; print('polars', polars.__version__, 'numpy', numpy.__version__)"
	rm -rf $(1)/suite && mkdir -p $(1)/suite && cp -r $(SUITE_FILES) $(1)/suite/
	cd $(1)/suite && $(1)/bin/python -m pytest -q -p no:cacheprovider --benchmark-disable \
		--rootdir=. -c /dev/null tests benches
	cd $(1)/suite && $(1)/bin/python -m pytest -q -p no:cacheprovider -c /dev/null \
		--doctest-modules --pyargs polars_alpha
endef

test-wheel: wheel  ## install the wheel in a fresh venv (only its declared extras) and run the suite and the command there
	rm -rf $(WHEEL_ENV) && $(PYTHON) -m venv $(WHEEL_ENV)
	$(WHEEL_ENV)/bin/python -m pip install --quiet "$$(ls $(WHEEL_DIR)/*.whl)[test,plot,dask,spark]"
	$(call run-installed-suite,$(WHEEL_ENV))
	cd /tmp && $(WHEEL_ENV)/bin/polars-alpha --version
	cd /tmp && $(WHEEL_ENV)/bin/polars-alpha screen --top 5

test-lowest-polars: wheel  ## the suite against the oldest Polars and NumPy pyproject.toml allows
	rm -rf $(LOWEST_ENV) && $(PYTHON) -m venv $(LOWEST_ENV)
	$(LOWEST_ENV)/bin/python -m pip install --quiet "$$(ls $(WHEEL_DIR)/*.whl)[test,plot,dask,spark]" \
		"polars==$(LOWEST_POLARS)" "numpy==$(LOWEST_NUMPY)" $(LOWEST_PYARROW)
	$(call run-installed-suite,$(LOWEST_ENV))

fuzz:  ## replay the fuzz corpus, then fuzz every kernel from a fixed seed (reproducible)
	cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
	cd fuzz && cargo fmt --check && cargo clippy --release --all-targets -- -D warnings
	cd fuzz && cargo test --release --test corpus
	cargo fuzz build --sanitizer none
	@set -e; for plan in $(FUZZ_RUNS); do \
		t=$${plan%%:*}; runs=$${plan##*:}; log="$$CARGO_TARGET_DIR/$$t.log"; \
		work=$$(mktemp -d); \
		echo "== fuzz $$t: $$runs inputs from seed $(FUZZ_SEED) (log: $$log)"; \
		if ! cargo fuzz run --sanitizer none $$t "$$work" fuzz/corpus/$$t -- \
			-seed=$(FUZZ_SEED) -runs=$$runs -max_len=1024 -timeout=10 -print_final_stats=1 \
			>"$$log" 2>&1; then \
			grep -m1 -A3 "panicked at" "$$log" | cut -c1-3000; tail -n 30 "$$log"; exit 1; fi; \
		rm -rf "$$work"; grep -E "^(Done|stat::number_of_executed_units)" "$$log"; \
	done

fuzz-explore:  ## look for new bugs: FUZZ_SECONDS per target, random seeds (FUZZ_TARGETS=... to pick)
	cargo fuzz build --sanitizer none
	@set -e; for t in $(FUZZ_TARGETS); do \
		work="$$CARGO_TARGET_DIR/corpus/$$t"; log="$$CARGO_TARGET_DIR/$$t.explore.log"; mkdir -p "$$work"; \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s (log: $$log)"; \
		if ! cargo fuzz run --sanitizer none $$t "$$work" fuzz/corpus/$$t -- \
			-max_total_time=$(FUZZ_SECONDS) -max_len=1024 -timeout=10 -print_final_stats=1 \
			>"$$log" 2>&1; then \
			grep -m1 -A3 "panicked at" "$$log" | cut -c1-3000; tail -n 30 "$$log"; exit 1; fi; \
		grep -E "^(Done|stat::number_of_executed_units)" "$$log"; \
	done
