# Molt: the developer's front door.
#   make            build build/$(ARCH)/molt.elf
#   make run        boot it in QEMU, serial console on this terminal
#   make test       host tests + in-kernel tests; last line "N passed, N failed" (TEST_ARGS="--help")
#   make bench      boot with "bench" and print the benchmark table
#   make debug      boot halted, waiting for gdb on :1234
#   make deps       install missing tools (apt) and restore ILCompiler (NuGet)
#   make iso        bootable ISO: Limine (LIMINE_DIR or a system install) else GRUB
#   make iso-limine build/$(ARCH)/molt.iso through Limine; make iso-grub: molt-grub.iso
#   make usb        build/$(ARCH)/molt.img, a disk image for dd: Limine GPT+ESP, else GRUB (x64)
#   make images-repro  build every image twice and compare the bytes
#   make bench-boot boot time per boot path: table, and build/$(ARCH)/boot-bench.json
#   make mutants    mutation testing of the update core (slow): kill rate per mutant
# ARCH=x64 (default) or ARCH=arm64.  CMDLINE="..." sets the kernel command line.

ARCH ?= x64
CMDLINE ?=
SMP ?= 1
ROOT := $(CURDIR)
BUILD := build/$(ARCH)
TOOLS := build/tools

prop = $(shell sed -n 's:.*<$(1)>\(.*\)</$(1)>.*:\1:p' bflat.props)
ILC_VERSION := $(call prop,IlcVersion)
SYSTEM_MODULE := $(call prop,SystemModule)
CSC_FLAGS := $(subst $$(MOLT_ROOT),$(ROOT),$(call prop,CscFlags))
ILC_FLAGS := $(call prop,IlcFlags) $(call prop,IlcArchFlags_$(ARCH))

NUGET_PACKAGES ?= $(HOME)/.nuget/packages
ILC := $(NUGET_PACKAGES)/runtime.linux-x64.microsoft.dotnet.ilcompiler/$(ILC_VERSION)/tools/ilc
DOTNET_SDK_DIR := $(shell dotnet --list-sdks 2>/dev/null | tail -1 | sed 's/^\([^ ]*\) \[\(.*\)\]/\2\/\1/')
CSC := dotnet $(DOTNET_SDK_DIR)/Roslyn/bincore/csc.dll

ifeq ($(ARCH),x64)
  CLANG_TARGET := x86_64-unknown-none
  QEMU := qemu-system-x86_64
  QEMU_ARGS := -M q35 -cpu max -m 256M -smp $(SMP) -display none -serial stdio -no-reboot \
               -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel $(BUILD)/molt.elf
  DEFINES := -define:ARCH_X64
else ifeq ($(ARCH),arm64)
  CLANG_TARGET := aarch64-unknown-none
  QEMU := qemu-system-aarch64
  QEMU_ARGS := -M virt,gic-version=3 -cpu cortex-a72 -m 256M -smp $(SMP) -display none -serial stdio \
               -semihosting -kernel $(BUILD)/molt.elf
  DEFINES := -define:ARCH_ARM64
else
  $(error ARCH must be x64 or arm64, not '$(ARCH)')
endif

CS_SOURCES := $(sort $(shell find kernel update hal-$(ARCH) -name '*.cs' 2>/dev/null))
ASM_SOURCES := $(sort $(shell find hal-$(ARCH) -name '*.S'))
ASM_INCLUDES := $(sort $(shell find kernel hal-$(ARCH) -name '*.inc'))
ASM_OBJECTS := $(patsubst %.S,$(BUILD)/obj/%.o,$(ASM_SOURCES))
LINKER_SCRIPT := hal-$(ARCH)/linker.ld
KSYMS_TOOL := $(TOOLS)/ksyms/molt-ksyms.dll
KSYMS_SOURCES := $(wildcard image/SymbolTable/*.cs image/SymbolTable/*.csproj)

.PHONY: all run test bench debug deps clean iso iso-limine iso-grub usb usb-limine usb-grub images-repro bench-boot help
all: $(BUILD)/molt.elf
	@printf 'molt.elf (%s): %s bytes\n' $(ARCH) $$(stat -c %s $(BUILD)/molt.elf)

help:
	@sed -n '1,15p' Makefile

# ---- set-up: tools and packages, installed only when missing ----
DEPS_STAMP := build/.deps-$(ARCH)
deps: $(DEPS_STAMP)
$(DEPS_STAMP): image/deps.sh
	@bash image/deps.sh $(ARCH)
	@mkdir -p build && touch $@

$(ILC): image/restore/IlcRestore.csproj bflat.props | $(DEPS_STAMP)
	@echo "restoring ILCompiler $(ILC_VERSION) from NuGet"
	@dotnet restore image/restore/IlcRestore.csproj --nologo -v q
	@test -x $@ && touch $@

# ---- kernel build: csc -> ilc -> ld.lld (twice: the second embeds the symbol table) ----
$(BUILD)/$(SYSTEM_MODULE).dll: $(CS_SOURCES) bflat.props | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "csc    $(words $(CS_SOURCES)) files -> $@"
	@$(CSC) $(CSC_FLAGS) $(DEFINES) -out:$@ $(CS_SOURCES)

$(BUILD)/$(SYSTEM_MODULE).o: $(BUILD)/$(SYSTEM_MODULE).dll $(ILC)
	@echo "ilc    $< -> $@"
	@$(ILC) $< -o:$@ --systemmodule:$(SYSTEM_MODULE) --generateunmanagedentrypoints:$(SYSTEM_MODULE) $(ILC_FLAGS)

$(BUILD)/obj/%.o: %.S $(ASM_INCLUDES) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "as     $<"
	@clang --target=$(CLANG_TARGET) -c $< -o $@

LINK = ld.lld -nostdlib -static --no-pie --build-id=none -z max-page-size=4096 -z noexecstack -T $(LINKER_SCRIPT)

$(BUILD)/molt.pass1.elf: $(BUILD)/$(SYSTEM_MODULE).o $(ASM_OBJECTS) $(LINKER_SCRIPT)
	@echo "ld     $@"
	@$(LINK) -o $@ $(BUILD)/$(SYSTEM_MODULE).o $(ASM_OBJECTS)

$(KSYMS_TOOL): $(KSYMS_SOURCES)
	@echo "dotnet build image/SymbolTable"
	@dotnet build image/SymbolTable -c Release -o $(TOOLS)/ksyms --nologo -v q -p:AssemblyName=molt-ksyms > $(TOOLS).ksyms.log 2>&1 || (cat $(TOOLS).ksyms.log; exit 1)

# The build id is the SHA-256 of the image before its symbol table is added
# (the table is derived from it); the kernel prints it at boot and every
# patch bundle names the build id it was built for.
$(BUILD)/build-id: $(BUILD)/molt.pass1.elf
	@sha256sum $< | cut -c1-64 > $@
	@echo "build id $$(cat $@)"

$(BUILD)/ksyms.bin: $(BUILD)/molt.pass1.elf $(BUILD)/build-id $(KSYMS_TOOL)
	@dotnet $(KSYMS_TOOL) $< $@ --build-id $(BUILD)/build-id

$(BUILD)/obj/ksyms.o: $(BUILD)/ksyms.bin
	@printf '.section .ksyms, "a"\n.balign 8\n.incbin "%s"\n.section .note.GNU-stack, "", %%progbits\n' $(ROOT)/$< > $(BUILD)/obj/ksyms.S
	@clang --target=$(CLANG_TARGET) -c $(BUILD)/obj/ksyms.S -o $@

# The final link adds only the .ksyms segment, placed last: every other
# address is unchanged, which the check below confirms.
$(BUILD)/molt.elf: $(BUILD)/molt.pass1.elf $(BUILD)/obj/ksyms.o
	@echo "ld     $@ (with $$(stat -c %s $(BUILD)/ksyms.bin) bytes of symbols)"
	@$(LINK) -o $@ $(BUILD)/$(SYSTEM_MODULE).o $(ASM_OBJECTS) $(BUILD)/obj/ksyms.o
	@dotnet $(KSYMS_TOOL) $@ $(BUILD)/ksyms.check.bin --build-id $(BUILD)/build-id && cmp -s $(BUILD)/ksyms.bin $(BUILD)/ksyms.check.bin \
		|| (echo "error: symbol addresses moved between link passes"; rm -f $@; exit 1)

# arm64 also gets molt.img: the same link as a flat binary, which starts
# with the arm64 Linux Image header (boot/entry.S), for loaders that take an
# Image (QEMU -kernel passes x0 = DTB then; U-Boot booti).
ifeq ($(ARCH),arm64)
all: $(BUILD)/molt.img
$(BUILD)/molt.img: $(BUILD)/molt.elf
	@echo "ld     $@ (flat arm64 Image)"
	@$(LINK) --oformat binary -o $@ $(BUILD)/$(SYSTEM_MODULE).o $(ASM_OBJECTS) $(BUILD)/obj/ksyms.o
endif

# ---- running ----
run: all
	@echo "booting Molt ($(ARCH)) in QEMU; quit with Ctrl-A X"
	$(QEMU) $(QEMU_ARGS) -append "$(CMDLINE)"

# ---- benchmarks: boot with "bench" on BENCH_SMP CPUs (docs/benchmarks.md) ----
# Shows the console without the BENCH lines (the table comes last), writes
# those lines' JSON to build/$(ARCH)/bench.json, one object per line, and
# fails when the kernel panicked, hung, or did not exit with pass.
# BENCH_FILTER=prefix runs only the benchmarks whose names start with it.
BENCH_SMP ?= 4
BENCH_FILTER ?=
BENCH_TIMEOUT ?= 300
BENCH_LOG := $(BUILD)/bench.log
BENCH_JSON := $(BUILD)/bench.json
BENCH_QEMU_ARGS := $(subst -smp $(SMP) ,-smp $(BENCH_SMP) ,$(QEMU_ARGS))
# Exit status of a passing run: isa-debug-exit turns the kernel's 0 into 1; semihosting passes 0 through.
BENCH_PASS := $(if $(filter x64,$(ARCH)),1,0)

bench: all
	@echo "benchmarks: $(ARCH) on $(BENCH_SMP) CPUs under $(QEMU), time-out $(BENCH_TIMEOUT) s"
	@rm -f $(BENCH_LOG) $(BENCH_JSON) $(BUILD)/bench.status
	@( timeout $(BENCH_TIMEOUT) $(QEMU) $(BENCH_QEMU_ARGS) -append "bench$(if $(BENCH_FILTER), bench.filter=$(BENCH_FILTER))" < /dev/null; \
	   echo $$? > $(BUILD)/bench.status ) | tr -d '\r' | tee $(BENCH_LOG) | grep -av '^BENCH ' || true
	@sed -n 's/^BENCH //p' $(BENCH_LOG) > $(BENCH_JSON)
	@status=$$(cat $(BUILD)/bench.status); \
	if grep -aq '^PANIC: ' $(BENCH_LOG); then echo "bench: FAILED: the kernel panicked (console in $(BENCH_LOG))"; exit 1; fi; \
	if [ "$$status" = 124 ]; then echo "bench: FAILED: no exit within $(BENCH_TIMEOUT) s (console in $(BENCH_LOG))"; exit 1; fi; \
	if [ "$$status" != "$(BENCH_PASS)" ]; then echo "bench: FAILED: QEMU exit status $$status (console in $(BENCH_LOG))"; exit 1; fi; \
	if [ ! -s $(BENCH_JSON) ]; then echo "bench: FAILED: no BENCH lines (console in $(BENCH_LOG))"; exit 1; fi; \
	echo "bench: $$(wc -l < $(BENCH_JSON)) results in $(BENCH_JSON)"

debug: all
	@echo "QEMU waits for gdb: gdb $(BUILD)/molt.elf -ex 'target remote :1234'"
	$(QEMU) $(QEMU_ARGS) -append "$(CMDLINE)" -s -S

# ---- boot images (docs/booting.md): the command line goes into limine.conf / grub.cfg ----
# The Limine finder (image/lib.sh): LIMINE_DIR, a system install, then a clone in build/limine.
iso: all
	@LIMINE_DIR="$(LIMINE_DIR)" LIMINE_NO_MP="$(LIMINE_NO_MP)" bash image/iso.sh auto $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

iso-limine: all
	@LIMINE_DIR="$(LIMINE_DIR)" LIMINE_NO_MP="$(LIMINE_NO_MP)" bash image/iso.sh limine $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

iso-grub: all
	@bash image/iso.sh grub $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

usb: all
	@LIMINE_DIR="$(LIMINE_DIR)" bash image/usb.sh auto $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

usb-limine: all
	@LIMINE_DIR="$(LIMINE_DIR)" bash image/usb.sh limine $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

usb-grub: all
	@bash image/usb.sh grub $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

# Builds each image this machine can make twice, in two folders, and compares them byte for byte.
images-repro: all
	@LIMINE_DIR="$(LIMINE_DIR)" bash image/repro-check.sh $(ARCH) $(BUILD)/molt.elf $(BUILD)/repro "$(CMDLINE)"

# Builds the images with "exit" and boots each path several times: time to "Molt ready", kernel and total.
bench-boot: all
	@LIMINE_DIR="$(LIMINE_DIR)" bash image/bench-boot.sh $(ARCH) $(BUILD)

# ---- tests: host xunit tests, then the in-kernel suite on each configuration ----
# Builds a kernel for every architecture with a hal-<arch>/ folder, then the
# host projects (dotnet build restores their pinned NuGet packages), then runs
# ci/Molt.TestDriver, which prints the closing "N passed, N failed" line last.
# Configurations whose kernel is missing are skipped: ci/Molt.TestDriver/KernelConfiguration.cs.
TEST_ARCHES := $(filter x64 arm64,$(patsubst hal-%,%,$(wildcard hal-*)))
TEST_DRIVER := ci/Molt.TestDriver/bin/Release/net10.0/molt-test.dll
TEST_ARGS ?=

test:
	@for a in $(TEST_ARCHES); do $(MAKE) --no-print-directory ARCH=$$a all || exit 1; done
	@echo "dotnet build tests/Molt.Tests (with ci/Molt.QemuRunner, ci/Molt.TestDriver)"
	@mkdir -p build && dotnet build tests/Molt.Tests -c Release --nologo -v q > build/host-build.log 2>&1 \
		|| (cat build/host-build.log; exit 1)
	@dotnet $(TEST_DRIVER) --root $(ROOT) --no-build $(TEST_ARGS)

# ---- mutation testing of the update core (slow; not part of make test) ----
# Plants each mutation of update/Mutants/mutants.txt in turn, builds, runs the
# in-kernel update tests, reverts; prints the killing test and the kill rate.
# MUTANTS_ARGS="--only id,id" runs some. The tree is always restored.
.PHONY: mutants
mutants:
	@bash update/Mutants/run-mutants.sh $(MUTANTS_ARGS)

clean:
	rm -rf build ci/*/bin ci/*/obj tests/*/bin tests/*/obj
