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

# The Swift runtime is linked in, so the installed binary runs on servers
# without the toolchain.
build: deps
	$(SWIFT) build -c release --static-swift-stdlib

# The journal tests and the daemon's tests need journald and Apache on
# loopback; scripts/services.sh starts our own instances when none run.
test: build
	scripts/deps.sh test
	scripts/services.sh start
	$(SWIFT) test
	scripts/differential-test.sh
	scripts/golden-test.sh $(BINARY)
	scripts/report-golden-test.sh $(BINARY)
	scripts/cli-test.sh $(BINARY)
	scripts/unit-security.sh systemd/leafwatch.service
	scripts/unit-security.sh systemd/leafwatch-report.service 1.5
	scripts/daemon-test.py $(BINARY)
	scripts/report-test.py $(BINARY)
	scripts/systemd-test.sh $(BINARY)

demo: build
	@scripts/demo.sh $(BINARY)

bench: build
	scripts/deps.sh bench
	scripts/bench.sh $(BINARY)
	scripts/detector-check.sh $(BINARY)
	scripts/latency-bench.sh $(BINARY)

# Units and the catalog go under $(PREFIX)/lib/systemd, which systemd
# searches both for PREFIX=/usr (distribution packages) and for
# PREFIX=/usr/local (local installs); set UNITDIR= and CATALOGDIR= for other
# layouts. The configuration goes to $(SYSCONFDIR)/leafwatch, where the daemon
# and the unit's ConfigurationDirectory= expect it, and an existing file there
# is never replaced. With DESTDIR set, nothing outside DESTDIR is touched.
install uninstall: UNITDIR ?= $(PREFIX)/lib/systemd/system
install uninstall: CATALOGDIR ?= $(PREFIX)/lib/systemd/catalog
install uninstall: SYSCONFDIR ?= /etc

install: build
	install -D -s -m 0755 $(BINARY) $(DESTDIR)$(PREFIX)/bin/leafwatch
	install -d -m 0755 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CATALOGDIR)
	for unit in $(wildcard systemd/*.service systemd/*.timer); do \
		sed 's|/usr/local/bin/leafwatch|$(PREFIX)/bin/leafwatch|g' $$unit > $(DESTDIR)$(UNITDIR)/$$(basename $$unit).tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$unit).tmp && \
		mv $(DESTDIR)$(UNITDIR)/$$(basename $$unit).tmp $(DESTDIR)$(UNITDIR)/$$(basename $$unit) || exit 1; \
	done
	install -m 0644 systemd/leafwatch.catalog $(DESTDIR)$(CATALOGDIR)/leafwatch.catalog
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/leafwatch/leafwatch.conf ]; then \
		echo "keeping the existing $(DESTDIR)$(SYSCONFDIR)/leafwatch/leafwatch.conf; the new default is config/leafwatch.conf"; \
	else \
		echo "install -D -m 0644 config/leafwatch.conf $(DESTDIR)$(SYSCONFDIR)/leafwatch/leafwatch.conf"; \
		install -D -m 0644 config/leafwatch.conf $(DESTDIR)$(SYSCONFDIR)/leafwatch/leafwatch.conf; \
	fi
	@if [ -z "$(DESTDIR)" ]; then \
		echo "journalctl --update-catalog"; journalctl --update-catalog; \
		if [ -d /run/systemd/system ]; then echo "systemctl daemon-reload"; systemctl daemon-reload; fi; \
	fi

# Removes what `make install` installed except the configuration, which may
# contain the operator's changes.
.PHONY: uninstall
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/leafwatch $(DESTDIR)$(CATALOGDIR)/leafwatch.catalog
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(wildcard systemd/*.service systemd/*.timer)))
	@if [ -z "$(DESTDIR)" ]; then \
		echo "journalctl --update-catalog"; journalctl --update-catalog; \
		if [ -d /run/systemd/system ]; then echo "systemctl daemon-reload"; systemctl daemon-reload; fi; \
	fi
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/leafwatch; remove it to delete the configuration"

clean:
	rm -rf .build
