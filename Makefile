# Molt: the developer's front door.
#   make            build build/$(ARCH)/molt.elf (release) and build/$(ARCH)/molt-test.elf (with the in-kernel tests and benchmarks)
#   make run        boot molt.elf in QEMU, serial console on this terminal (molt-test.elf when CMDLINE says test or bench)
#   make test       host tests + in-kernel tests; last line "N passed, N failed" (TEST_ARGS="--help")
#   make bench      boot molt-test.elf with "bench" and print the benchmark table
#   make debug      boot halted, waiting for gdb on :1234 (QEMU is started by molt-qemu, ci/Molt.Qemu)
#   make deps       install missing tools (apt) and restore ILCompiler (NuGet)
#   make iso        bootable ISO: Limine (LIMINE_DIR or a system install) else GRUB
#   make iso-limine build/$(ARCH)/molt.iso through Limine; make iso-grub: molt-grub.iso
#   make usb        build/$(ARCH)/molt.img, a disk image for dd: Limine GPT+ESP, else GRUB (x64)
#   make images-repro  build every image twice and compare the bytes
#   make bench-boot boot time per boot path: table, and build/$(ARCH)/boot-bench.json
#   make tools      build/host/molt, the host tool (keys, patch new/build/inspect: docs/patching.md)
#   make keys       build/keys/molt-signing.{key,pub} if missing, and the kernel's trusted-key files
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
  DEFINES := -define:ARCH_X64
else ifeq ($(ARCH),arm64)
  CLANG_TARGET := aarch64-unknown-none
  DEFINES := -define:ARCH_ARM64
else
  $(error ARCH must be x64 or arm64, not '$(ARCH)')
endif

# ---- two kernels from one pipeline: VARIANT=release (molt.elf) or VARIANT=test (molt-test.elf) ----
# Every file under a Tests/, Bench/ or Testing/ folder is test-only (a folder rule,
# not a list); the test kernel is built with MOLT_TESTS and keeps its
# intermediates in build/<arch>/test/. docs/architecture.md says more.
VARIANT ?= release
# The public key the kernel trusts is generated C# (update/Patching/TrustedKey.cs):
# KEY_DIR holds the pair, made by `molt keygen` on first build, never committed.
KEY_DIR ?= build/keys
TRUSTED_KEY_CS := $(KEY_DIR)/TrustedKey.g.cs
ALL_CS_SOURCES := $(sort $(shell find kernel update services hal-$(ARCH) -name '*.cs' 2>/dev/null)) $(TRUSTED_KEY_CS)
in_folder = $(sort $(foreach f,$(2),$(if $(filter $(1),$(subst /, ,$(dir $(f)))),$(f))))
ifeq ($(VARIANT),test)
  OUT := $(BUILD)/test
  KERNEL_ELF := $(BUILD)/molt-test.elf
  # Tests register themselves: every `static void Register()` under a Tests/
  # (Bench/) folder is called by the generated AllTests (AllBenches); image/registry.sh.
  REGISTRIES := $(OUT)/gen/AllTests.g.cs $(OUT)/gen/AllBenches.g.cs
  CS_SOURCES := $(ALL_CS_SOURCES) $(REGISTRIES)
  DEFINES += -define:MOLT_TESTS
else ifeq ($(VARIANT),release)
  OUT := $(BUILD)
  KERNEL_ELF := $(BUILD)/molt.elf
  CS_SOURCES := $(filter-out $(call in_folder,Tests Bench Testing,$(ALL_CS_SOURCES)),$(ALL_CS_SOURCES))
else
  $(error VARIANT must be release or test, not '$(VARIANT)')
endif
ASM_SOURCES := $(sort $(shell find hal-$(ARCH) -name '*.S'))
ASM_INCLUDES := $(sort $(shell find kernel hal-$(ARCH) -name '*.inc'))
ASM_OBJECTS := $(patsubst %.S,$(BUILD)/obj/%.o,$(ASM_SOURCES))
LINKER_SCRIPT := hal-$(ARCH)/linker.ld
KSYMS_TOOL := $(TOOLS)/ksyms/molt-ksyms.dll
KSYMS_SOURCES := $(wildcard image/SymbolTable/*.cs image/SymbolTable/*.csproj)

.PHONY: all kernel test-kernel kernel-elf run test bench debug deps clean iso iso-limine iso-grub usb usb-limine usb-grub images-repro bench-boot help
all: kernel test-kernel

kernel:
	@$(MAKE) --no-print-directory VARIANT=release kernel-elf
	@printf 'molt.elf (%s): %s bytes\n' $(ARCH) $$(stat -c %s $(BUILD)/molt.elf)

test-kernel:
	@$(MAKE) --no-print-directory VARIANT=test kernel-elf
	@printf 'molt-test.elf (%s): %s bytes\n' $(ARCH) $$(stat -c %s $(BUILD)/molt-test.elf)

kernel-elf: $(KERNEL_ELF)

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
$(OUT)/gen/AllTests.g.cs: $(call in_folder,Tests,$(ALL_CS_SOURCES)) image/registry.sh
	@bash image/registry.sh Molt.Testing AllTests $@ $(call in_folder,Tests,$(ALL_CS_SOURCES))

$(OUT)/gen/AllBenches.g.cs: $(call in_folder,Bench,$(ALL_CS_SOURCES)) image/registry.sh
	@bash image/registry.sh Molt.Bench AllBenches $@ $(call in_folder,Bench,$(ALL_CS_SOURCES))

$(OUT)/$(SYSTEM_MODULE).dll: $(CS_SOURCES) bflat.props | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "csc    $(words $(CS_SOURCES)) files -> $@"
	@$(CSC) $(CSC_FLAGS) $(DEFINES) -out:$@ $(CS_SOURCES)

$(OUT)/$(SYSTEM_MODULE).o: $(OUT)/$(SYSTEM_MODULE).dll $(ILC)
	@echo "ilc    $< -> $@"
	@$(ILC) $< -o:$@ --systemmodule:$(SYSTEM_MODULE) --generateunmanagedentrypoints:$(SYSTEM_MODULE) $(ILC_FLAGS)

$(BUILD)/obj/%.o: %.S $(ASM_INCLUDES) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "as     $<"
	@clang --target=$(CLANG_TARGET) -c $< -o $@

# ---- patch fixtures (docs/linker.md): tests/patches/<name>/*.cs -> build/$(ARCH)/test/patches/<name>.o (test kernel only) ----
# Compiled like a real patch: csc against this build's molt.dll, then
# ilc --multifile with the kernel's flags (no --generateunmanagedentrypoints:
# the runtime exports stay the kernel's). The objects are embedded into the
# kernel (fixtures.S: a table the in-kernel linker tests read) and read by
# the host tests; they are never committed.
PATCH_NAMES := $(sort $(notdir $(wildcard tests/patches/*)))
PATCH_OBJECTS := $(foreach p,$(PATCH_NAMES),$(OUT)/patches/$(p).o)
# tests/patches/<name>/refs lists patches this one is compiled against (besides the kernel).
patch_refs = $(foreach r,$(shell cat tests/patches/$(1)/refs 2>/dev/null),$(OUT)/patches/$(r).dll)
.PHONY: patch-fixtures
patch-fixtures: $(PATCH_OBJECTS)
.SECONDARY: $(foreach p,$(PATCH_NAMES),$(OUT)/patches/$(p).dll)
.SECONDEXPANSION:
$(OUT)/patches/%.dll: $$(wildcard tests/patches/$$*/*.cs) $$(call patch_refs,$$*) $(OUT)/$(SYSTEM_MODULE).dll
	@mkdir -p $(dir $@)
	@echo "csc    tests/patches/$* -> $@"
	@$(CSC) $(CSC_FLAGS) $(DEFINES) -r:$(OUT)/$(SYSTEM_MODULE).dll $(addprefix -r:,$(call patch_refs,$*)) -out:$@ $(filter %.cs,$^)
$(OUT)/patches/%.o: $(OUT)/patches/%.dll $$(call patch_refs,$$*) $(ILC)
	@echo "ilc    $< -> $@ (--multifile)"
	@$(ILC) $< -o:$@ -r:$(OUT)/$(SYSTEM_MODULE).dll $(addprefix -r:,$(call patch_refs,$*)) --systemmodule:$(SYSTEM_MODULE) $(ILC_FLAGS)
# One table of {name, start, end} rows, ended by a zero row (update/Linker/PatchFixtures.cs).
$(OUT)/obj/fixtures.o: $(PATCH_OBJECTS) image/fixtures.sh
	@mkdir -p $(dir $@)
	@bash image/fixtures.sh $(ARCH) $(OUT)/obj/fixtures.S $(PATCH_OBJECTS)
	@clang --target=$(CLANG_TARGET) -c $(OUT)/obj/fixtures.S -o $@
ifeq ($(VARIANT),test)
ASM_OBJECTS += $(OUT)/obj/fixtures.o
endif

LINK = ld.lld -nostdlib -static --no-pie --build-id=none -z max-page-size=4096 -z noexecstack -T $(LINKER_SCRIPT)

$(OUT)/molt.pass1.elf: $(OUT)/$(SYSTEM_MODULE).o $(ASM_OBJECTS) $(LINKER_SCRIPT)
	@echo "ld     $@"
	@$(LINK) -o $@ $(OUT)/$(SYSTEM_MODULE).o $(ASM_OBJECTS)

$(KSYMS_TOOL): $(KSYMS_SOURCES)
	@echo "dotnet build image/SymbolTable"
	@dotnet build image/SymbolTable -c Release -o $(TOOLS)/ksyms --nologo -v q -p:AssemblyName=molt-ksyms > $(TOOLS).ksyms.log 2>&1 || (cat $(TOOLS).ksyms.log; exit 1)

# The build id is the SHA-256 of the image before its symbol table is added
# (the table is derived from it); the kernel prints it at boot and every
# patch bundle names the build id it was built for.
$(OUT)/build-id: $(OUT)/molt.pass1.elf
	@sha256sum $< | cut -c1-64 > $@
	@echo "build id $$(cat $@)"

$(OUT)/ksyms.bin: $(OUT)/molt.pass1.elf $(OUT)/build-id $(KSYMS_TOOL)
	@dotnet $(KSYMS_TOOL) $< $@ --build-id $(OUT)/build-id

$(OUT)/obj/ksyms.o: $(OUT)/ksyms.bin
	@mkdir -p $(dir $@)
	@printf '.section .ksyms, "a"\n.balign 8\n.incbin "%s"\n.section .note.GNU-stack, "", %%progbits\n' $(ROOT)/$< > $(OUT)/obj/ksyms.S
	@clang --target=$(CLANG_TARGET) -c $(OUT)/obj/ksyms.S -o $@

# The final link adds only the .ksyms segment, placed last: every other
# address is unchanged, which the check below confirms.
$(KERNEL_ELF): $(OUT)/molt.pass1.elf $(OUT)/obj/ksyms.o
	@echo "ld     $@ (with $$(stat -c %s $(OUT)/ksyms.bin) bytes of symbols)"
	@$(LINK) -o $@ $(OUT)/$(SYSTEM_MODULE).o $(ASM_OBJECTS) $(OUT)/obj/ksyms.o
	@dotnet $(KSYMS_TOOL) $@ $(OUT)/ksyms.check.bin --build-id $(OUT)/build-id && cmp -s $(OUT)/ksyms.bin $(OUT)/ksyms.check.bin \
		|| (echo "error: symbol addresses moved between link passes"; rm -f $@; exit 1)

# arm64 also gets molt.img: the same link as a flat binary, which starts
# with the arm64 Linux Image header (boot/entry.S), for loaders that take an
# Image (QEMU -kernel passes x0 = DTB then; U-Boot booti).
# The test kernel gets one too (molt-test.img): QEMU hands a boot module
# (-initrd, patch bundles) only to an Image, not to an ELF.
ifeq ($(ARCH),arm64)
KERNEL_IMG := $(patsubst %.elf,%.img,$(KERNEL_ELF))
kernel-elf: $(KERNEL_IMG)
$(KERNEL_IMG): $(KERNEL_ELF)
	@echo "ld     $@ (flat arm64 Image)"
	@$(LINK) --oformat binary -o $@ $(OUT)/$(SYSTEM_MODULE).o $(ASM_OBJECTS) $(OUT)/obj/ksyms.o
endif

# ---- running: QEMU is started by molt-qemu (ci/Molt.Qemu) with ci/Molt.QemuRunner's typed ----
# command line, the same arguments make test boots with, and it decodes the exit status.
QEMU_TOOL := $(TOOLS)/qemu/molt-qemu.dll
QEMU_TOOL_SOURCES := $(wildcard ci/Molt.Qemu/*.cs ci/Molt.Qemu/*.csproj ci/Molt.QemuRunner/*.cs ci/Molt.QemuRunner/*.csproj)
MOLT_QEMU = dotnet $(QEMU_TOOL)

$(QEMU_TOOL): $(QEMU_TOOL_SOURCES)
	@echo "dotnet build ci/Molt.Qemu"
	@mkdir -p $(TOOLS) && dotnet build ci/Molt.Qemu -c Release -o $(TOOLS)/qemu --nologo -v q > $(TOOLS).qemu.log 2>&1 || (cat $(TOOLS).qemu.log; exit 1)

# A command line that asks for the tests or the benchmarks boots the test kernel.
RUN_KERNEL := $(if $(filter test bench,$(CMDLINE)),test-kernel,kernel)
RUN_ELF := $(BUILD)/$(if $(filter test-kernel,$(RUN_KERNEL)),molt-test.elf,molt.elf)

# INITRD=file.cpio: a boot module of patch bundles (docs/patching.md); QEMU gives
# it only to an arm64 Image, so the .img is booted there.
INITRD ?=
RUN_IMAGE := $(if $(and $(INITRD),$(filter arm64,$(ARCH))),$(RUN_ELF:.elf=.img),$(RUN_ELF))
FORWARDS ?=

run: $(RUN_KERNEL) $(QEMU_TOOL)
	@$(MOLT_QEMU) run --arch $(ARCH) --kernel $(RUN_IMAGE) --cpus $(SMP) --cmdline "$(CMDLINE)" \
		$(if $(INITRD),--initrd $(INITRD)) $(foreach f,$(FORWARDS),--forward $(f))

# ---- benchmarks: boot with "bench" on BENCH_SMP CPUs (docs/benchmarks.md) ----
# Shows the console without the BENCH lines (the table comes last), writes
# those lines' JSON to build/$(ARCH)/bench.json, one object per line, and
# fails when the kernel panicked, hung, or did not exit with pass.
# BENCH_FILTER=prefix runs only the benchmarks whose names start with it.
BENCH_SMP ?= 4
BENCH_FILTER ?=
BENCH_TIMEOUT ?= 300

# The example patches, built and signed for this arch's test kernel, in one
# boot module (update.patch.* applies them): build/<arch>/test/bundles/examples.cpio.
EXAMPLES := kv-fix-case kv-versions kv-adapter kv-audit
BUNDLE_DIR := $(BUILD)/test/bundles
bundles: test-kernel tools
	@mkdir -p $(BUNDLE_DIR)
	@for p in $(EXAMPLES); do $(HOST)/molt patch build examples/patches/$$p --arch $(ARCH) --kernel test -o $(BUNDLE_DIR)/$$p.bundle > $(BUNDLE_DIR)/$$p.log 2>&1 \
		|| { cat $(BUNDLE_DIR)/$$p.log; exit 1; }; done
	@cd $(BUNDLE_DIR) && printf '%s.bundle\n' $(EXAMPLES) | cpio -o -H newc --reproducible --quiet > examples.cpio
	@echo "bundles $(BUNDLE_DIR)/examples.cpio ($$(stat -c %s $(BUNDLE_DIR)/examples.cpio) bytes: $(EXAMPLES))"

BENCH_KERNEL := $(if $(filter arm64,$(ARCH)),$(BUILD)/molt-test.img,$(BUILD)/molt-test.elf)
bench: test-kernel bundles $(QEMU_TOOL)
	@$(MOLT_QEMU) bench --arch $(ARCH) --kernel $(BENCH_KERNEL) --cpus $(BENCH_SMP) --timeout $(BENCH_TIMEOUT) \
		--initrd $(BUNDLE_DIR)/examples.cpio \
		$(if $(BENCH_FILTER),--filter $(BENCH_FILTER)) --log $(BUILD)/bench.log --json $(BUILD)/bench.json

# Update under load (issue 12): molt-loadbench drives the KV load and the pushes
# for bench-net's update rows (image/bench-update.sh; the generator is tests/Molt.Tests/Load/Generator).
LOAD_BENCH := $(TOOLS)/loadbench/molt-loadbench.dll
$(LOAD_BENCH): $(wildcard ci/Molt.LoadBench/*.cs ci/Molt.LoadBench/*.csproj tests/Molt.Tests/Load/Generator/*.cs)
	@echo "dotnet build ci/Molt.LoadBench"
	@mkdir -p $(TOOLS) && dotnet build ci/Molt.LoadBench -c Release -o $(TOOLS)/loadbench --nologo -v q > $(TOOLS).loadbench.log 2>&1 || (cat $(TOOLS).loadbench.log; exit 1)

# HTTP GET rate and p50/p99 of the KV service against a Debian Linux guest with
# busybox httpd on the same QEMU command line (image/bench-net.sh; installs wrk,
# busybox-static and linux-image-cloud-<arch> first). BENCH_NET_SECONDS per row;
# then the update-under-load rows (image/bench-update.sh).
BENCH_NET_SECONDS ?= 10
bench-net: kernel tools $(QEMU_TOOL) $(LOAD_BENCH)
	@bash image/deps.sh bench-net-$(ARCH)
	@KEY_DIR=$(KEY_DIR) bash image/bench-net.sh $(ARCH) $(BUILD) $(QEMU_TOOL) $(SMP) $(BENCH_NET_SECONDS) $(LOAD_BENCH)

debug: $(RUN_KERNEL) $(QEMU_TOOL)
	@$(MOLT_QEMU) debug --arch $(ARCH) --kernel $(RUN_ELF) --cpus $(SMP) --cmdline "$(CMDLINE)"

# ---- boot images (docs/booting.md): the command line goes into limine.conf / grub.cfg ----
# The Limine finder (image/lib.sh): LIMINE_DIR, a system install, then a clone in build/limine.
iso: kernel
	@LIMINE_DIR="$(LIMINE_DIR)" LIMINE_NO_MP="$(LIMINE_NO_MP)" bash image/iso.sh auto $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

iso-limine: kernel
	@LIMINE_DIR="$(LIMINE_DIR)" LIMINE_NO_MP="$(LIMINE_NO_MP)" bash image/iso.sh limine $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

iso-grub: kernel
	@bash image/iso.sh grub $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

usb: kernel
	@LIMINE_DIR="$(LIMINE_DIR)" bash image/usb.sh auto $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

usb-limine: kernel
	@LIMINE_DIR="$(LIMINE_DIR)" bash image/usb.sh limine $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

usb-grub: kernel
	@bash image/usb.sh grub $(ARCH) $(BUILD)/molt.elf $(BUILD) "$(CMDLINE)"

# Builds each image this machine can make twice, in two folders, and compares them byte for byte.
images-repro: kernel
	@LIMINE_DIR="$(LIMINE_DIR)" bash image/repro-check.sh $(ARCH) $(BUILD)/molt.elf $(BUILD)/repro "$(CMDLINE)"

# Builds the images with "exit" and boots each path several times: time to "Molt ready", kernel and total.
bench-boot: kernel
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
	rm -rf build ci/*/bin ci/*/obj tests/*/bin tests/*/obj tools/*/bin tools/*/obj

# ---- host tool and signing keys (docs/patching.md) ----
# build/host/molt is a launcher for the tool in build/host/bin; it finds this
# tree from its own location (MOLT_ROOT overrides). Keys live in
# $(KEY_DIR), never in git: the secret key signs bundles, and the public one
# is exported for the kernel image (trusted-key.S: .rodata symbols
# molt_trusted_public_key and molt_trusted_key_id; trusted-key.bin: 32 raw bytes).
.PHONY: tools keys bundles bench-net
HOST := build/host
MOLT_CLI_SOURCES := $(shell find tools/Molt.Cli update/Bundles -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' 2>/dev/null) tools/Molt.Cli/Molt.Cli.csproj

tools: $(HOST)/molt

$(HOST)/bin/molt.dll: $(MOLT_CLI_SOURCES)
	@echo "dotnet build tools/Molt.Cli -> $(HOST)/bin"
	@mkdir -p $(HOST) && dotnet build tools/Molt.Cli -c Release -o $(HOST)/bin --nologo -v q > $(HOST)/build.log 2>&1 \
		|| (cat $(HOST)/build.log; exit 1)
	@touch $@

$(HOST)/molt: $(HOST)/bin/molt.dll tools/molt-launcher.sh
	@install -m 755 tools/molt-launcher.sh $@
	@echo "tool   $@ (try: $@ --help)"

keys: $(KEY_DIR)/trusted-key.S $(KEY_DIR)/trusted-key.bin $(TRUSTED_KEY_CS)

# The kernel's copy of the public key: 32 bytes as static data (no allocation).
$(TRUSTED_KEY_CS): $(KEY_DIR)/trusted-key.bin
	@{ echo '// Generated by make from $<: the Ed25519 public key this kernel trusts (update/Patching/TrustedKey.cs).'; \
	   echo 'namespace Molt.Update.Patching { public static partial class TrustedKey {'; \
	   printf '    private static partial System.ReadOnlySpan<byte> KeyBytes() => new byte[] { %s };\n' "$$(od -An -v -tu1 $< | xargs | sed 's/ /, /g')"; \
	   echo '} }'; } > $@
	@echo "key    $@ (trusted public key id $$(sha512sum $< | cut -c1-16) ...)" 

$(KEY_DIR)/molt-signing.pub: | $(HOST)/molt
	@$(HOST)/molt keygen -o $(KEY_DIR)

$(KEY_DIR)/trusted-key.S: $(KEY_DIR)/molt-signing.pub $(HOST)/molt
	@$(HOST)/molt key export $< --format asm -o $@

$(KEY_DIR)/trusted-key.bin: $(KEY_DIR)/molt-signing.pub $(HOST)/molt
	@$(HOST)/molt key export $< --format bin -o $@
