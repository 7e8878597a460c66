# The two commands a fresh Debian machine needs:  make run   and   make test
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
# ccache hits across clones of the repository (CI builds a fresh clone on the same machine).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: all deps test-deps build run test unit-asan fuzz bench bench-tcp bench-soap clean

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

# Everything CI runs: fuzz targets for a bounded time, unit tests under ASan+UBSan, then every
# unit and integration test (the last lines are CTest's summary).
test: test-deps fuzz unit-asan
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DQIAO_TESTS=ON
	cmake --build $(BUILD)
	cd $(BUILD) && ctest --output-on-failure --timeout 600

unit-asan: test-deps
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DQIAO_SANITIZE=ON -DQIAO_TESTS=ON
	cmake --build $(ASAN_BUILD) --target qiao_unit_tests
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -L unit --output-on-failure --timeout 600

fuzz: test-deps
	CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQIAO_FUZZ=ON -DQIAO_TESTS=ON
	cmake --build $(FUZZ_BUILD) --target fuzz_targets
	scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench:
	@scripts/install-deps.sh bench
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DQIAO_TESTS=OFF -DQIAO_BENCHMARKS=ON
	cmake --build $(BUILD)
	scripts/bench-http.sh $(BUILD)

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
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
