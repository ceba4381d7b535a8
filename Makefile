# The two commands of the README: `make run` and `make test`.
# Both install what is missing (scripts/setup), then build with CMake + Ninja (+ ccache).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
# Let ccache share hits between checkouts in different folders (CI clones afresh).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: all setup setup-test configure build run test unit e2e bench bench-edge bench-wake bench-density clean

all: build

setup:
	@scripts/setup

setup-test:
	@scripts/setup --test

configure:
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS)

run: setup build
	@scripts/run

test: setup-test build
	@BUILD_DIR=$(BUILD_DIR) scripts/test

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

e2e: build
	@BUILD_DIR=$(BUILD_DIR) node --test --test-concurrency=1 tests/e2e/

# Benchmarks (docs/benchmarks.md); never part of `make test`.
bench: bench-edge bench-wake bench-density

bench-edge: setup-test build
	@BUILD_DIR=$(BUILD_DIR) bench/edge/run

bench-wake: setup-test build
	@BUILD_DIR=$(BUILD_DIR) bench/wake/run

bench-density: setup-test build
	@BUILD_DIR=$(BUILD_DIR) bench/density/run

clean:
	rm -rf $(BUILD_DIR)
