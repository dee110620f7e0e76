# TamaGo flavour: the same programs, built with TamaGo's Go distribution
# (GOOS=tamago) on board package tamago/xenpvh. Included from the Makefile.
#
# TAMAGO is the go command of a tamago-go toolchain that you built yourself
# (https://github.com/usbarmory/tamago-go, tag tamago-go1.26.0, matching the
# github.com/usbarmory/tamago v1.26.0 requirement in go.mod):
#	make kernel-tamago TAMAGO=/path/to/tamago-go/bin/go
TAMAGO        ?=
TAMAGO_OUT    ?= $(BUILD)/$(notdir $(abspath $(PROG)))-tamago.elf
# The board's own cpuinit and RamStart replace package amd64's.
TAMAGO_TAGS   := linkcpuinit,linkramstart
# Text just above xenpvh.RamStart (1 MiB); the ELF header page sits below it.
TAMAGO_LDFLAGS := -T 0x101000 -R 0x1000
# The board's classic-PV entry, which xenlink names in XEN_ELFNOTE_ENTRY.
TAMAGO_PV_ENTRY := github.com/goxen/goxen/tamago/xenpvh.pvEntry

.PHONY: kernel-tamago test-tamago-box tamago-check

tamago-check:
	@if [ -z "$(TAMAGO)" ]; then \
		echo "TAMAGO is not set: set it to the go command of a tamago-go toolchain (see the README section "TamaGo flavour")"; exit 1; fi
	@if [ ! -x "$(TAMAGO)" ]; then echo "TAMAGO=$(TAMAGO) is not an executable"; exit 1; fi

kernel-tamago: tamago-check ## build PROG with TamaGo (TAMAGO=.../bin/go) into an ELF at OUT that boots as PVH and PV
	@mkdir -p $(dir $(if $(filter command line,$(origin OUT)),$(OUT),$(TAMAGO_OUT)))
	GOOS=tamago GOOSPKG=github.com/usbarmory/tamago GOARCH=amd64 CGO_ENABLED=0 \
		$(TAMAGO) build -tags $(TAMAGO_TAGS) -trimpath -ldflags '$(TAMAGO_LDFLAGS)' \
		-o $(if $(filter command line,$(origin OUT)),$(OUT),$(TAMAGO_OUT)) $(PROG)
	@# The PV notes beside tamago's own PHYS32_ENTRY: the same ELF boots as PV.
	$(GO) run ./linker/cmd/xenlink -pv-entry-symbol $(TAMAGO_PV_ENTRY) $(if $(filter command line,$(origin OUT)),$(OUT),$(TAMAGO_OUT))
	@o=$(if $(filter command line,$(origin OUT)),$(OUT),$(TAMAGO_OUT)); echo "kernel-tamago: $$o is $$(stat -c %s $$o) bytes"

test-tamago-box: ## boot TamaGo hello under Xen (domU and dom0); skipped without TAMAGO
	TAMAGO=$(TAMAGO) $(GO) test -tags box -count=1 -timeout 30m -v ./tamago/boxtest/
