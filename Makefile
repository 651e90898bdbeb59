# Atrium: convenience front end over CMake/CTest. See docs/building.md.
#
#   make          install missing Debian packages, build into build/
#   make check    unit tests under ASan+UBSan (build-asan/), then every
#                 test in build/ (its ctest summary ends the output)
#   make demo     build, then run scripts/demo.sh
#   make fuzz     build the libFuzzer targets into build-fuzz/
#   make bench    build, then run the executable scripts in bench/
#   make clean    remove the build trees

BUILD      := build
ASAN_BUILD := build-asan
FUZZ_BUILD := build-fuzz
JOBS       := 2
CMAKE      := cmake
CTEST      := ctest

# Binaries, as exported to the demo and bench scripts.
ATRIUMD := $(CURDIR)/$(BUILD)/atriumd
ATRIUM  := $(CURDIR)/$(BUILD)/atrium
RUN_ENV := ATRIUMD=$(ATRIUMD) ATRIUM=$(ATRIUM) \
           ATRIUM_SRC=$(CURDIR) ATRIUM_BUILD=$(CURDIR)/$(BUILD)

# cmake --build runs its own make: start it afresh (own -j, no
# "Entering directory" noise from looking like a sub-make).
CMAKE_BUILD := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(CMAKE) --build

SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: all deps check demo fuzz bench clean

all: deps
	@test -f $(BUILD)/CMakeCache.txt || \
	  $(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	$(CMAKE_BUILD) $(BUILD) -j$(JOBS)

deps:
	@scripts/deps.sh

check: deps
	$(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	  -DATRIUM_SANITIZE=ON -DATRIUM_INTEGRATION=OFF
	$(CMAKE_BUILD) $(ASAN_BUILD) -j$(JOBS)
	$(SAN_ENV) $(CTEST) --test-dir $(ASAN_BUILD) -L unit \
	  --output-on-failure -j$(JOBS)
	@test -f $(BUILD)/CMakeCache.txt || \
	  $(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	$(CMAKE_BUILD) $(BUILD) -j$(JOBS)
	@# Last: the full run, whose summary must end the output.
	$(CTEST) --test-dir $(BUILD) --output-on-failure -j$(JOBS) \
	  --no-label-summary

demo: all
	@test -f scripts/demo.sh || \
	  { echo "make demo: scripts/demo.sh does not exist yet" >&2; exit 1; }
	@test -x scripts/demo.sh || \
	  { echo "make demo: scripts/demo.sh is not executable" >&2; exit 1; }
	exec env $(RUN_ENV) scripts/demo.sh

fuzz: deps
	CC=clang $(CMAKE) -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DATRIUM_FUZZ=ON -DATRIUM_TESTS=OFF
	$(CMAKE_BUILD) $(FUZZ_BUILD) -j$(JOBS)
	@# Seeds: fuzz/corpus/NAME/ for fuzz/fuzz_NAME.c. New inputs go to
	@# $(FUZZ_BUILD)/corpus/NAME/ and crashes to $(FUZZ_BUILD)/artifacts/,
	@# so the seed corpus in git stays clean.
	@found=0; \
	for f in $(FUZZ_BUILD)/fuzz/fuzz_*; do \
	  [ -f "$$f" ] && [ -x "$$f" ] || continue; \
	  found=1; name=$${f##*/fuzz_}; seeds=fuzz/corpus/$$name; \
	  [ -d "$$seeds" ] || seeds="  # (no seeds yet in fuzz/corpus/$$name/)"; \
	  echo "$$name:"; \
	  echo "  mkdir -p $(FUZZ_BUILD)/corpus/$$name $(FUZZ_BUILD)/artifacts"; \
	  echo "  $$f -max_total_time=300 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$name- $(FUZZ_BUILD)/corpus/$$name $$seeds"; \
	done; \
	if [ $$found = 1 ]; then echo "(run from the top of the tree; replay one input: $(FUZZ_BUILD)/fuzz/fuzz_NAME FILE)"; \
	else echo "No fuzz targets yet (fuzz/fuzz_*.c)."; fi

bench: all
	@status=0; ran=0; \
	for f in bench/*; do \
	  [ -f "$$f" ] && [ -x "$$f" ] || continue; \
	  case "$$f" in *.c|*.h|*.md) continue ;; esac; \
	  ran=1; echo "== $$f"; \
	  env $(RUN_ENV) "$$f" || { echo "$$f: failed" >&2; status=1; }; \
	done; \
	[ $$ran = 1 ] || echo "No benchmark scripts yet (executable files in bench/)."; \
	exit $$status

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
