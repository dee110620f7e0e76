# goxen: Go kernels for Xen.  `make help` lists the targets.
GO       ?= go
BUILD    ?= build
PROG     ?= ./examples/hello
OUT      ?= $(BUILD)/$(notdir $(abspath $(PROG))).elf
# Extra flags for goxen build (the kernel target), e.g. GOXENFLAGS='-tags foo -v'.
# The target, link address and flags themselves live in package linker
# (linker/build.go), which goxen build uses.
GOXENFLAGS ?=
MODE     ?= domu
# make run, make soak: the guest type, pvh or pv (classic PV; one goxen ELF boots both ways).
TYPE     ?= pvh
MEMORY   ?= 32
BOXFLAGS ?=
# make soak: how many guests one dom0 boot creates, and where the logs go.
N        ?= 100
SOAKOUT  ?= $(BUILD)/soak

export GOFLAGS := -mod=mod

# make bench: where the results go, and extra flags for cmd/xenbench: -quick, -modes pvh|pv|pvh,pv
# (the columns: goxen and Linux as PVH and/or classic PV domUs; default both).
BENCHOUT   ?= $(BUILD)/bench
BENCHFLAGS ?=

.PHONY: help test test-host test-box test-pv-all vet run kernel soak bench

include tamago/tamago.mk

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

test: vet test-host test-box ## run every test: host tests, fuzz seeds, box tests

vet: ## go vet the whole module
	$(GO) mod download
	$(GO) vet ./...

test-host: ## host tests (parsers, rings, ELF notes, fuzz seed corpora)
	$(GO) test -count=1 ./...

test-box: ## box tests: boot guests under real Xen in QEMU (installs packages)
	TAMAGO=$(TAMAGO) $(GO) test -tags box -count=1 -p 1 -timeout 60m -v ./box/ ./kernel/boxtest/ ./cmd/goxen/ ./tamago/boxtest/

test-pv-all: ## the whole box suite with every guest booted as classic PV (XENBOX_TYPE=pv; not in make test, which runs the PV checks in TestPVGuests)
	XENBOX_TYPE=pv TAMAGO=$(TAMAGO) $(GO) test -tags box -count=1 -p 1 -timeout 90m -v ./kernel/boxtest/ ./cmd/goxen/ ./tamago/boxtest/

kernel: ## build PROG (a main package importing the kernel) into a PVH ELF at OUT (symbols in OUT.dbg), with goxen build
	$(GO) run ./cmd/goxen build -o $(OUT) $(GOXENFLAGS) $(PROG)

run: ## build examples/hello and boot it as a domU (MODE=dom0; TYPE=pv for classic PV) under Xen in QEMU, showing its console
	$(MAKE) --no-print-directory kernel PROG=./examples/hello OUT=$(BUILD)/hello.elf
	$(GO) run ./cmd/xenbox -mode $(MODE) -type $(TYPE) -memory $(MEMORY) $(BOXFLAGS) $(BUILD)/hello.elf

soak: ## build PROG and create it N times (default 100) as a domU (TYPE=pv: classic PV) in one dom0 boot; fails unless all N power off
	$(MAKE) --no-print-directory kernel
	$(GO) build -o $(BUILD)/xenbox ./cmd/xenbox
	rm -rf $(SOAKOUT)
	$(BUILD)/xenbox -repeat $(N) -type $(TYPE) -memory $(MEMORY) -out $(SOAKOUT) $(BOXFLAGS) $(OUT)

bench: ## goxen against Linux as PVH and PV domUs in one box session (BENCHFLAGS='-modes pvh'): build/bench/results.md, ratios*.png (not in make test)
	$(GO) run ./cmd/xenbench -out $(BENCHOUT) $(BENCHFLAGS)
