# Common tasks. `make help` lists them.
PYTHON ?= python3
# Polars takes many minutes to compile on 2 cores: keep target directories across builds.
# maturin (the extension) and plain cargo (unit tests, clippy) build pyo3 under different
# environments, and each would rebuild all of Polars after the other in a shared directory.
TARGET_ROOT ?= $(HOME)/.cache/polars-alpha-target
install: export CARGO_TARGET_DIR = $(TARGET_ROOT)/python
test-rust lint: export CARGO_TARGET_DIR = $(TARGET_ROOT)/rust
# The fuzz crate (fuzz/) compiles the kernels alone, without polars, in its own workspace.
fuzz fuzz-explore: export CARGO_TARGET_DIR = $(TARGET_ROOT)/fuzz
FUZZ_TARGETS = rolling factor ewm weighted_alpha window ratios
# `make fuzz` (and CI) runs a fixed number of inputs per target from a fixed seed and the
# checked-in corpus, in a fresh working directory: each run does the same amount of work
# along nearly the same path (libFuzzer's choices still vary a little), instead of rolling
# new dice on every commit. About 10 s a target. Search for new bugs with `fuzz-explore`.
FUZZ_SEED ?= 1
FUZZ_RUNS = rolling:30000 factor:30000 ewm:25000 weighted_alpha:400000 window:1500000 ratios:100000
# `make fuzz-explore` searches for new bugs: random seeds, a persistent working corpus.
FUZZ_SECONDS ?= 60

.PHONY: help install test test-rust test-python lint format bench example fuzz fuzz-explore

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install:  ## build the extension (release) and install the package with test, lint, peer and plot tools
	$(PYTHON) -m pip install --quiet "maturin>=1.5,<2"
	$(PYTHON) -m pip install --quiet -e ".[test,lint,bench,plot]"

test: test-rust test-python  ## run the Rust unit tests and the Python suite (with doctests)

test-rust:  ## Rust kernel unit tests
	cargo test --release --lib

test-python:  ## Python tests, oracles and doctests
	$(PYTHON) -m pytest -q

lint:  ## formatting, clippy, ruff and mypy --strict
	cargo fmt --check
	cargo clippy --release --all-targets -- -D warnings
	$(PYTHON) -m ruff check python tests benches
	$(PYTHON) -m ruff format --check python tests benches
	$(PYTHON) -m mypy --strict python/polars_alpha

format:  ## apply cargo fmt and ruff format
	cargo fmt
	$(PYTHON) -m ruff format python tests benches
	$(PYTHON) -m ruff check --fix python tests benches

bench:  ## pytest-benchmark suite, timed (python benches/compare_peers.py for the peer table)
	$(PYTHON) -m pytest benches --benchmark-enable --benchmark-only

example:  ## screen the bundled sample, then run the README's quickstart
	$(PYTHON) -m polars_alpha screen
	$(PYTHON) examples/quickstart.py

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
