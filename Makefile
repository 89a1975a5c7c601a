# Common tasks. `make help` lists them.
PYTHON ?= python3
# Polars takes many minutes to compile on 2 cores: keep target directories across builds.
# maturin (the extension) and plain cargo (unit tests, clippy) build pyo3 under different
# environments, and each would rebuild all of Polars after the other in a shared directory.
TARGET_ROOT ?= $(HOME)/.cache/polars-alpha-target
install: export CARGO_TARGET_DIR = $(TARGET_ROOT)/python
test-rust lint: export CARGO_TARGET_DIR = $(TARGET_ROOT)/rust
# The fuzz crate (fuzz/) compiles the kernels alone, without polars, in its own workspace.
fuzz: export CARGO_TARGET_DIR = $(TARGET_ROOT)/fuzz
FUZZ_TARGETS = rolling factor ewm weighted_alpha window ratios
FUZZ_SECONDS ?= 10

.PHONY: help install test test-rust test-python lint format bench example fuzz

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

fuzz:  ## fuzz every kernel for FUZZ_SECONDS each (cargo fuzz, stable, no sanitizer)
	cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
	cd fuzz && cargo fmt --check && cargo clippy --release --all-targets -- -D warnings
	cd fuzz && cargo test --release --test corpus
	cargo fuzz build --sanitizer none
	@set -e; for t in $(FUZZ_TARGETS); do \
		work="$$CARGO_TARGET_DIR/corpus/$$t"; log="$$CARGO_TARGET_DIR/$$t.log"; mkdir -p "$$work"; \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s (log: $$log)"; \
		if ! cargo fuzz run --sanitizer none $$t "$$work" fuzz/corpus/$$t -- \
			-max_total_time=$(FUZZ_SECONDS) -max_len=1024 -timeout=10 -print_final_stats=1 \
			>"$$log" 2>&1; then \
			grep -m1 -A3 "panicked at" "$$log" | cut -c1-3000; tail -n 30 "$$log"; exit 1; fi; \
		grep -E "^(Done|stat::number_of_executed_units)" "$$log"; \
	done
