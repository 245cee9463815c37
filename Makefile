# tbx - keeps llama.cpp benchmark containers honest.
# Plain make: `make`, `make check`, `make demo`, `make bench`, `make install`.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
DESTDIR    ?=
CC         ?= cc
PKG_CONFIG ?= pkg-config
SANITIZE   ?=

PKGS       := libcurl json-c libarchive uuid
CFLAGS     ?= -O2 -g
WARN       := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-truncation -Wvla
DEPCFLAGS  := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
DEPLIBS    := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS := -Isrc $(WARN) $(CFLAGS) $(DEPCFLAGS) \
              -DTBX_VERSION='"$(VERSION)"' -DTBX_DATADIR='"$(DATADIR)/tbx"'
ALL_LDLIBS := $(DEPLIBS) -lm
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS    += -fsanitize=$(SANITIZE)
BUILD      := build/san
else
BUILD      := build/rel
endif

CORE_SRC   := $(filter-out src/tbx.c,$(wildcard src/*.c))
CMD_SRC    := $(wildcard src/cmd/*.c)
CORE_OBJ   := $(CORE_SRC:src/%.c=$(BUILD)/%.o)
CMD_OBJ    := $(CMD_SRC:src/%.c=$(BUILD)/%.o)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
ITEST_BIN  := $(patsubst tests/integration/%.c,$(BUILD)/itest/%,$(wildcard tests/integration/*.c))
LIBTBX     := $(BUILD)/libtbx.a

.PHONY: tbx all check unit e2e demo bench install uninstall clean deps torture fuzz dist

all: tbx

# The binary at the top is always the one last built (release or sanitized).
tbx: $(BUILD)/tbx
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/tbx: $(BUILD)/tbx.o $(CMD_OBJ) $(LIBTBX)
	$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

$(LIBTBX): $(CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: src/%.c $(wildcard src/*.h src/cmd/*.h) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIBTBX) $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) -o $@ $< \
		$(LIBTBX) $(ALL_LDLIBS) $(shell $(PKG_CONFIG) --libs cmocka) $(LDFLAGS)

$(BUILD)/itest/%: tests/integration/%.c $(LIBTBX) $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBTBX) $(ALL_LDLIBS) $(LDFLAGS)

$(BUILD)/mkgguf: tests/tools/mkgguf.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

# Records through tbx's own writer, for tests/perf/gen-records.sh.
$(BUILD)/mkrecord: tests/tools/mkrecord.c $(LIBTBX) $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBTBX) $(ALL_LDLIBS) $(LDFLAGS)

deps:
	@scripts/install-deps.sh

# Every test: unit tests (cmocka), the packaging test (make dist, rpmbuild),
# then the end-to-end suite on the real test bed (Podman service, registry,
# llama-bench) once per engine: the host's Podman 4.3, then Podman 5 from
# Debian trixie (TBX_TEST_ENGINE=4 or 5 picks one). One summary line.
TEST_ENGINES = $(if $(TBX_TEST_ENGINE),$(TBX_TEST_ENGINE),4 5)
check: deps
	$(MAKE) tbx $(UNIT_BIN) $(ITEST_BIN) $(BUILD)/mkgguf
	TBX_TEST_ENGINE="$(TEST_ENGINES)" tests/run-all $(BUILD)

unit: tbx $(UNIT_BIN)
	tests/run-all --unit-only $(BUILD)

e2e: tbx $(ITEST_BIN) $(BUILD)/mkgguf
	TBX_TEST_ENGINE="$(TEST_ENGINES)" tests/run-all --e2e-only $(BUILD)

demo: deps
	$(MAKE) tbx $(BUILD)/mkgguf
	scripts/demo.sh

bench: deps
	$(MAKE) tbx $(BUILD)/mkgguf $(BUILD)/mkrecord
	tests/perf/bench.sh

torture: deps
	$(MAKE) tbx $(BUILD)/mkgguf
	tests/torture/run.sh

fuzz:
	tests/fuzz/run.sh

tbx.1: tbx
	./tbx help --man > $@.tmp && mv $@.tmp $@

install: tbx tbx.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(DATADIR)/tbx/containers $(DESTDIR)$(DATADIR)/tbx/manifests \
		$(DESTDIR)$(BASHCOMPDIR)
	install -m 755 tbx $(DESTDIR)$(BINDIR)/tbx
	install -m 644 tbx.1 $(DESTDIR)$(MANDIR)/man1/tbx.1
	install -m 644 containers/*.json $(DESTDIR)$(DATADIR)/tbx/containers/
	install -m 644 manifests/*.json $(DESTDIR)$(DATADIR)/tbx/manifests/
	install -m 644 scripts/tbx.bash-completion $(DESTDIR)$(BASHCOMPDIR)/tbx

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tbx $(DESTDIR)$(MANDIR)/man1/tbx.1 \
		$(DESTDIR)$(BASHCOMPDIR)/tbx
	rm -rf $(DESTDIR)$(DATADIR)/tbx

# A versioned source tarball of the tracked files (the working tree's
# content), tbx-$(VERSION)/ inside: what tbx.spec builds from.
DIST := tbx-$(VERSION)
dist:
	@git rev-parse --is-inside-work-tree >/dev/null 2>&1 || \
		{ echo "make dist: needs a git checkout (it packs git ls-files)" >&2; exit 1; }
	@grep -q '^Version: *$(VERSION)$$' tbx.spec || \
		{ echo "make dist: tbx.spec's Version is not $(VERSION) (Makefile's VERSION)" >&2; exit 1; }
	git ls-files -z | LC_ALL=C sort -z | tar --null --no-recursion -T - \
		--owner=0 --group=0 --numeric-owner --mode='u+w,go-w' \
		--mtime="@$$(git log -1 --format=%ct 2>/dev/null || echo 0)" \
		--transform 's,^,$(DIST)/,' -czf $(DIST).tar.gz.tmp
	mv -f $(DIST).tar.gz.tmp $(DIST).tar.gz
	@echo "$(DIST).tar.gz"

clean:
	rm -rf build tbx tbx.1 tbx-*.tar.gz
