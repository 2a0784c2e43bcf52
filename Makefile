# Thin wrapper over CMake. `make run` builds and runs the default scenario;
# `make test` builds and runs every test (also under ASan+UBSan with
# `make test-sanitize`); `make bench` runs the benchmarks. `make fuzz` runs
# each libFuzzer harness (tests/fuzz/) for FUZZ_SECONDS; `make fuzz-regression`
# replays their committed corpus and reproducers (build in `build-fuzz/`).
BUILD ?= build
SANITIZE_BUILD ?= build-sanitize
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc)
# The system Python (Debian's), whose packages (pybind11, numpy, distributed)
# the set-up installs; the Python package is built for it.
PYTHON ?= /usr/bin/python3
PREFIX ?= /usr/local

.PHONY: all setup build run test test-sanitize bench validate format format-check clean install \
	fuzz-build fuzz fuzz-regression readme-params

all: build

setup:
	./scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=$(PYTHON) \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/jalapeno run

validate: build
	./$(BUILD)/jalapeno validate

# The README's parameter reference is generated from the declarations
# (core/params.hpp); a test fails when it is stale.
readme-params: build
	./$(BUILD)/jalapeno params --markdown > $(BUILD)/params.md
	$(PYTHON) scripts/splice_readme.py README.md params $(BUILD)/params.md

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(SANITIZE_BUILD)/CMakeCache.txt:
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=Debug -DJALAPENO_SANITIZE=ON -DJALAPENO_BENCHMARKS=OFF \
		-DJALAPENO_PYTHON=OFF

test-sanitize: setup $(SANITIZE_BUILD)/CMakeCache.txt
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	cd $(SANITIZE_BUILD) && ctest --output-on-failure -j $(JOBS)

$(FUZZ_BUILD)/CMakeCache.txt:
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
		-DJALAPENO_FUZZ=ON -DJALAPENO_BENCHMARKS=OFF -DJALAPENO_PYTHON=OFF

fuzz-build: setup $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) --target fuzzers -j $(JOBS)

# FUZZERS="trace cli" limits either target to some harnesses.
fuzz: fuzz-build
	tests/fuzz/run.sh fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZERS)

fuzz-regression: fuzz-build
	tests/fuzz/run.sh regression $(FUZZ_BUILD) 0 $(FUZZERS)

# The binary, the data and the Python package under PREFIX (or DESTDIR/PREFIX).
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	./$(BUILD)/jalapeno_bench

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD) $(FUZZ_BUILD)
