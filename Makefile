# The two commands a fresh Debian machine needs:  make run   and   make test
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
RELEASE_BUILD ?= build-release
# `make fuzz`: minutes per target, outside the gate; `make test` only replays what was found.
FUZZ_SECONDS ?= 300
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
# ccache hits across clones of the repository (CI builds a fresh clone on the same machine).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: all deps test-deps build run test test-build unit-asan release-build fuzz-build fuzz-replay fuzz format bench bench-tcp bench-soap clean

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DQIAO_TESTS=OFF
	cmake --build $(BUILD) --target qiao

run: build
	scripts/run-quickstart.sh $(BUILD)/qiao

# Everything CI runs, each stage timed: the C++ sources follow .clang-format, every fuzz target
# replays its corpus and past findings, unit tests under ASan+UBSan, a Release build, then every
# unit and integration test on it, the build a packager ships (the last lines are CTest's summary). Deterministic: nothing here fuzzes
# for new inputs.
test: export STAGE_TIMES := $(CURDIR)/$(RELEASE_BUILD)/stage-times.txt
test: test-deps
	@rm -f $(STAGE_TIMES)
	@scripts/stage.sh "format" scripts/check-format.sh
	@scripts/stage.sh "fuzz replay" $(MAKE) --no-print-directory fuzz-replay
	@scripts/stage.sh "unit tests under ASan+UBSan" $(MAKE) --no-print-directory unit-asan
	@scripts/stage.sh "Release build with tests" $(MAKE) --no-print-directory release-build
	@scripts/stage.sh --summary
	cd $(RELEASE_BUILD) && ctest --output-on-failure --timeout 600

# Rewrites the C++ sources that differ from .clang-format.
format: test-deps
	scripts/check-format.sh --fix

test-build: test-deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DQIAO_TESTS=ON
	cmake --build $(BUILD)

unit-asan: test-deps
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DQIAO_SANITIZE=ON -DQIAO_TESTS=ON
	cmake --build $(ASAN_BUILD) --target qiao_unit_tests
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -L unit --output-on-failure --timeout 600

# What a packager builds: the gateway and the tests with -O3 (GCC 12 warns differently there).
release-build: test-deps
	cmake -S . -B $(RELEASE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DQIAO_TESTS=ON
	cmake --build $(RELEASE_BUILD)

fuzz-build: test-deps
	CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQIAO_FUZZ=ON -DQIAO_TESTS=ON
	cmake --build $(FUZZ_BUILD) --target fuzz_targets

fuzz-replay: fuzz-build
	scripts/run-fuzzers.sh $(FUZZ_BUILD) replay

# Exploratory fuzzing, FUZZ_SECONDS per target: new inputs join tests/fuzz/corpus, crashes land in
# tests/fuzz/findings; commit them with the fix and the gate replays them from then on.
fuzz: fuzz-build
	scripts/run-fuzzers.sh $(FUZZ_BUILD) explore $(FUZZ_SECONDS)

# Each flow beside its yardstick in the same run, with the ratios: HTTP against nginx (proxy, and
# with Lua doing the registration flow's work), MLLP against a raw echo at 16 connections.
bench:
	@scripts/install-deps.sh bench
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DQIAO_TESTS=OFF -DQIAO_BENCHMARKS=ON
	cmake --build $(BUILD)
	scripts/bench-http.sh $(BUILD) 6 32
	scripts/bench-mllp.sh $(BUILD) 6 16

# MLLP messages/s with ACK and ISO 8583 request-replies/s over the multiplexed bank connection.
bench-tcp:
	@scripts/install-deps.sh bench
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DQIAO_TESTS=OFF -DQIAO_BENCHMARKS=ON
	cmake --build $(BUILD) --target qiao mllp_load
	scripts/bench-tcp.sh $(BUILD) 10 64

# SOAP request-replies/s: the HIS WebService simulator, and the gateway calling it.
bench-soap:
	@scripts/install-deps.sh bench
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DQIAO_TESTS=OFF
	cmake --build $(BUILD) --target qiao
	scripts/bench-soap.sh $(BUILD) 10 64

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(RELEASE_BUILD)
