# The two commands of the README: `make run` and `make test`.
# Both install what is missing (scripts/setup), then build with CMake + Ninja (+ ccache).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
# Let ccache share hits between checkouts in different folders (CI clones afresh).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: all setup setup-test configure build run test unit e2e fuzz test-asan test-tsan bench bench-edge bench-wake bench-density bench-build bench-abuse bench-directory bench-cluster clean

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

# libFuzzer targets (fuzz/README.md) in a clang build dir of their own;
# `make test` replays their seeds and fuzzes each for 3 s.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: setup-test
	@cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSPACEPORT_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS) --target fuzz_all
	@FUZZ_BUILD_DIR=$(FUZZ_BUILD_DIR) fuzz/run $(FUZZ_SECONDS)

# Sanitizers: the unit and integration tests (ctest) built with ASan + UBSan
# (every binary), and with TSan (the edge, runtime, access and http tests:
# the threaded ones), each in a build dir of its own.
test-asan: setup-test
	@scripts/sanitize address

test-tsan: setup-test
	@scripts/sanitize thread

# Benchmarks (docs/benchmarks.md); never part of `make test`.
bench: bench-edge bench-wake bench-density bench-build bench-abuse bench-directory bench-cluster

bench-edge: setup-test build
	@BUILD_DIR=$(BUILD_DIR) bench/edge/run

bench-directory: setup-test build
	@BUILD_DIR=$(BUILD_DIR) bench/directory/run

bench-cluster: setup-test build
	@BUILD_DIR=$(BUILD_DIR) bench/cluster/run

bench-wake: setup-test build
	@BUILD_DIR=$(BUILD_DIR) bench/wake/run

bench-density: setup-test build
	@BUILD_DIR=$(BUILD_DIR) bench/density/run

bench-build: setup-test build
	@BUILD_DIR=$(BUILD_DIR) bench/build/run

bench-abuse: setup-test build
	@BUILD_DIR=$(BUILD_DIR) bench/abuse/run

clean:
	rm -rf $(BUILD_DIR)
