# leafwatch: build, test, install. `make demo` and `make test` install what
# they need first (scripts/deps.sh), so on a fresh Debian or Ubuntu machine
# with the Swift toolchain they are the whole set-up.

PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
BINARY := .build/release/leafwatch

.PHONY: all deps build test demo bench install clean

all: build

deps:
	scripts/deps.sh build

build: deps
	$(SWIFT) build -c release

test: build
	scripts/deps.sh test
	$(SWIFT) test
	scripts/differential-test.sh
	scripts/golden-test.sh $(BINARY)
	scripts/cli-test.sh $(BINARY)

demo: build
	@echo "== leafwatch scan --time-zone Europe/Berlin samples/access.log samples/error.log"
	@$(BINARY) scan --time-zone Europe/Berlin samples/access.log samples/error.log

bench: build
	scripts/deps.sh bench
	scripts/bench.sh $(BINARY)
	scripts/detector-check.sh $(BINARY)

install: build
	install -D -m 0755 $(BINARY) $(DESTDIR)$(PREFIX)/bin/leafwatch

clean:
	rm -rf .build
