# goxen: Go kernels for Xen.  `make help` lists the targets.
GO      ?= go
BUILD   ?= build
PROG    ?= ./examples/hello
OUT     ?= $(BUILD)/hello.elf

.PHONY: help test test-host vet run kernel

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

test: vet test-host ## run every test: host tests, fuzz seeds, box tests

vet: ## go vet the whole module
	$(GO) mod download
	$(GO) vet ./...

test-host: ## host tests (parsers, rings, ELF notes, fuzz seed corpora)
	$(GO) test -count=1 ./...

run: ## build examples/hello and boot it under Xen in QEMU
	@echo "kernel not yet bootable: the kernel issue has not landed"; exit 1
