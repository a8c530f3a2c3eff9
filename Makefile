# Makefile: builds bin/iscgobs, its tests, and runs them. See README.md.
#
#   make                 the service binary (bin/iscgobs)
#   make run             install what is missing, embedded PostgreSQL, demo year, serve
#   make test            every test, plain and under AddressSanitizer and UBSan
#   make test-long       the long attack tests (tests/integration/*/long_*.c, release build)
#   make bench           the performance measurements (bench/RESULTS.md)
#   make SANITIZER=address|undefined   a sanitizer build in build/address or build/undefined

PKGS      := libpq libmicrohttpd openssl libxml-2.0 jansson libcurl libzip xlsxwriter
CC        ?= cc
SANITIZER ?=
# The libFuzzer flavour (`make fuzz`): the library rebuilt by clang into build/fuzz.
FUZZ_SAN  := fuzzer-no-link,address,undefined
BUILD     := build/$(if $(SANITIZER),$(if $(filter $(FUZZ_SAN),$(SANITIZER)),fuzz,$(SANITIZER)),release)

WARN   := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
          -Wno-format-nonliteral
CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -pthread \
          -Icommon -Icommon/http -Ireference-data -Icollector -Iaggregator -Iexporters/sdmx -Iexporters/html \
          -Iexporters/publish -Iexporters/sheet \
          -Iweb -Idemo -Icli \
          $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lunistring -pthread -lm
ifneq ($(SANITIZER),)
CFLAGS  += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=$(SANITIZER)
ifneq ($(filter undefined $(FUZZ_SAN),$(SANITIZER)),)
CFLAGS  += -fno-sanitize-recover=all
endif
endif

# The floors of docs/architecture.md, bottom up; cli/iscgobs.c (main) is linked apart so that
# the tests can link every command.
LIB_SRC := $(wildcard common/*.c common/http/*.c reference-data/*.c collector/*.c aggregator/*.c \
             exporters/sdmx/*.c exporters/html/*.c \
             exporters/publish/*.c exporters/sheet/*.c web/*.c demo/*.c) \
           $(filter-out cli/iscgobs.c,$(wildcard cli/*.c))
MIGRATIONS := $(sort $(wildcard migrations/*.sql))
AGG_SQL := $(sort $(wildcard aggregator/sql/*.sql))
EXP_TPL := $(sort $(wildcard exporters/html/templates/*.html exporters/html/templates/*.css))
GEN     := $(BUILD)/gen
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/reference-data/refdata.o \
           $(GEN)/obs_migrations.o $(GEN)/obs_migrations_s.o \
           $(GEN)/agg_sql.o $(GEN)/agg_sql_s.o \
           $(GEN)/exp_templates.o $(GEN)/exp_templates_s.o
REF_FILES := $(wildcard reference-data/*.csv reference-data/*.xsd)
# Tests mirror the source folders (tests/unit/<stage>/, tests/integration/<stage>/); their
# programs are built flat, named after their file (build/<flavour>/tests/test_csv, .../it/...).
UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN := $(addprefix $(BUILD)/tests/,$(basename $(notdir $(UNIT_SRC))))
UNIT_HDR := $(wildcard tests/unit/*.h tests/unit/*/*.h)
UNIT_INC := -Itests/unit $(addprefix -I,$(sort $(dir $(UNIT_HDR))))
BIN := $(if $(SANITIZER),$(BUILD)/iscgobs,bin/iscgobs)

# Quiet by default; `make V=1` shows the commands.
Q := $(if $(V),,@)

.PHONY: all run test test-long tests unit bench clean check-deps format fuzz fuzz-build fuzz-bins
all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/reference-data/refdata.o: reference-data/refdata.S $(REF_FILES)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -c $< -Wa,-Ireference-data -o $@

# The list of files each embedded set is made of, rewritten only when it changes: a file
# removed from a folder must leave the binary too (its timestamp cannot say so).
$(GEN)/%.list: FORCE
	@mkdir -p $(GEN)
	@echo '$(EMBED_$*)' | cmp -s - $@ || echo '$(EMBED_$*)' > $@
EMBED_obs_migrations := $(MIGRATIONS)
EMBED_agg_sql := $(AGG_SQL)
EMBED_exp_templates := $(EXP_TPL)
.PHONY: FORCE
FORCE:

# SQL files compiled into the binary (scripts/embed.sh).
$(GEN)/obs_migrations.c: $(MIGRATIONS) $(GEN)/obs_migrations.list scripts/embed.sh
	$(Q)scripts/embed.sh obs_migrations $(GEN) $(MIGRATIONS)
$(GEN)/obs_migrations.S: $(GEN)/obs_migrations.c
$(GEN)/obs_migrations.o: $(GEN)/obs_migrations.c
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
$(GEN)/obs_migrations_s.o: $(GEN)/obs_migrations.S $(MIGRATIONS)
	$(Q)$(CC) -c $< -o $@

# The aggregator's queries (aggregator/sql/*.sql), embedded the same way.
$(GEN)/agg_sql.c: $(AGG_SQL) $(GEN)/agg_sql.list scripts/embed.sh
	$(Q)scripts/embed.sh agg_sql $(GEN) $(AGG_SQL)
$(GEN)/agg_sql.S: $(GEN)/agg_sql.c
$(GEN)/agg_sql.o: $(GEN)/agg_sql.c
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
$(GEN)/agg_sql_s.o: $(GEN)/agg_sql.S $(AGG_SQL)
	$(Q)$(CC) -c $< -o $@

# The HTML templates and stylesheet (exporters/html/templates/), embedded the same way.
$(GEN)/exp_templates.c: $(EXP_TPL) $(GEN)/exp_templates.list scripts/embed.sh
	$(Q)scripts/embed.sh exp_templates $(GEN) $(EXP_TPL)
$(GEN)/exp_templates.S: $(GEN)/exp_templates.c
$(GEN)/exp_templates.o: $(GEN)/exp_templates.c
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
$(GEN)/exp_templates_s.o: $(GEN)/exp_templates.S $(EXP_TPL)
	$(Q)$(CC) -c $< -o $@

$(BUILD)/libiscgobs.a: $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

CLI_OBJ := $(BUILD)/cli/iscgobs.o
$(BIN): $(CLI_OBJ) $(BUILD)/libiscgobs.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# One rule per test program: $(1) its source.
define UNIT_RULE
$(BUILD)/tests/$(basename $(notdir $(1))): $(1) $(UNIT_HDR) $(BUILD)/libiscgobs.a
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  CC $$<")
	$$(Q)$$(CC) $$(CFLAGS) $$(UNIT_INC) $$(LDFLAGS) -o $$@ $$< $$(BUILD)/libiscgobs.a $$(LDLIBS) -lcmocka
endef
$(foreach s,$(UNIT_SRC),$(eval $(call UNIT_RULE,$(s))))

IT_SRC := $(wildcard tests/integration/*/test_*.c tests/integration/*/long_*.c)
IT_BIN := $(addprefix $(BUILD)/it/,$(basename $(notdir $(IT_SRC))))
IT_HDR := $(wildcard tests/integration/*.h tests/integration/*/*.h)
IT_INC := -Itests/integration $(addprefix -I,$(sort $(dir $(IT_HDR)))) -Itests/unit/exporters
# Fault injection: the library's calls to these functions go to the test's __wrap_ versions
# (which call __real_ ones). test_sdmx_runs: a correction in the middle of a publication run's
# snapshot, a delay between a run's INSERT and its COMMIT.
IT_WRAP_test_sdmx_runs := -Wl,--wrap=agg_round_cells -Wl,--wrap=obs_db_exec
# test_faults: allocation, libpq and libxml2 failures along the upload and SDMX paths.
IT_WRAP_test_faults := $(foreach f,malloc calloc realloc strdup strndup PQexec PQexecParams \
    PQexecPrepared PQprepare PQgetResult PQputCopyData PQputCopyEnd PQsendQueryParams \
    PQsendQueryPrepared xmlCreateMemoryParserCtxt xmlParseDocument xmlSchemaNewValidCtxt \
    xmlSchemaValidateDoc xmlOutputBufferCreateIO xmlNewTextWriter xmlTextWriterStartElement \
    xmlTextWriterWriteAttribute xmlTextWriterEndElement xmlTextWriterFlush,-Wl,--wrap=$(f))
# One rule per test program: $(1) its source, $(2) its name.
define IT_RULE
$(BUILD)/it/$(2): $(1) tests/integration/harness.c $(IT_HDR) $(BUILD)/libiscgobs.a
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  CC $$<")
	$$(Q)$$(CC) $$(CFLAGS) -Wno-missing-prototypes $$(IT_INC) $$(LDFLAGS) $$(IT_WRAP_$(2)) \
	    -o $$@ $$< tests/integration/harness.c $$(BUILD)/libiscgobs.a $$(LDLIBS) -lcmocka
endef
$(foreach s,$(IT_SRC),$(eval $(call IT_RULE,$(s),$(basename $(notdir $(s))))))

# The load generator of bench/sdmx.sh (built with that script's flags), also run by
# tests/integration/exporters/test_sdmx.c.
$(BUILD)/bench/httpload: bench/httpload.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -std=c11 -Wall -Wextra -Werror -o $@ $<

# Everything a test run needs for this flavour (scripts/test.sh runs them).
tests: $(BIN) $(UNIT_BIN) $(IT_BIN) $(BUILD)/bench/httpload

# Build and run the unit tests of this build flavour only (no database needed).
unit: $(BIN) $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# libFuzzer harnesses (tests/fuzz/fuzz_*.c, docs/reliability.md): built against the library
# compiled by clang with ASan and UBSan; `make fuzz` runs each FUZZ_SECONDS (scripts/fuzz.sh).
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/bin/%)
build/fuzz/bin/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(BUILD)/libiscgobs.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $<")
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -Itests/fuzz -fsanitize=fuzzer,address,undefined \
	    -o $@ $< $(BUILD)/libiscgobs.a $(LDLIBS)
fuzz-bins: $(FUZZ_BIN)
fuzz-build:
	@$(MAKE) -s -j2 fuzz-bins CC=clang SANITIZER=$(FUZZ_SAN)
fuzz: fuzz-build
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

run:
	@scripts/run.sh

test:
	@scripts/test.sh

test-long:
	@TEST_SET=long TEST_FLAVOURS=release scripts/test.sh

bench:
	@bench/run.sh

check-deps:
	@scripts/deps.sh --check

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
