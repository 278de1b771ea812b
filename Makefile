# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# kmmtrace: clang -target bpf -> bpftool gen object -> gen skeleton -> one binary.
OUTPUT ?= .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
ARCH ?= x86
VMLINUX := vmlinux/$(ARCH)/vmlinux.h

CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
	  -D_GNU_SOURCE -I$(OUTPUT) -Iuser -Ibpf -Imodel -Ianalysis
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(dir $(VMLINUX)) -Ibpf -I$(OUTPUT) \
	      -Wall -Werror -Wno-unused-function
LIBS := -lbpf -lelf -lz -lm
STATIC_LIBS := -l:libbpf.a -l:libelf.a -l:libz.a -lm $(shell pkg-config --static --libs-only-l libelf 2>/dev/null | sed 's/-lelf//;s/-lz//')

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS)) $(OUTPUT)/kmmtrace_direct.skel.h
LIB_SRCS := $(filter-out user/main.c,$(wildcard user/*.c model/*.c analysis/*.c))
LIB_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(LIB_SRCS))
TEST_SRCS := tests/test_main.c tests/json.c $(wildcard tests/unit/*.c tests/live/*.c)
TEST_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(TEST_SRCS))
HDRS := $(wildcard bpf/*.h user/*.h model/*.h analysis/*.h tests/*.h)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.SECONDARY:
.PHONY: man vmdeps all clean test unit static vmlinux deps bench format demo vmtest fuzz
all: kmmtrace

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/model $(OUTPUT)/analysis $(OUTPUT)/tests $(OUTPUT)/tests/unit $(OUTPUT)/tests/live:
	@mkdir -p $@

$(OUTPUT)/%.tmp.bpf.o: bpf/%.bpf.c $(HDRS) $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.bpf.o: $(OUTPUT)/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# The same programs reading the preempt count with one direct load (bpf_rdonly_cast,
# Linux 6.2+; bpf/compat.bpf.h): the collector loads these bytes into kmmtrace_bpf's
# skeleton where the kernel has the kfunc, so both objects must lay out their maps
# and globals alike; the check compares the two skeletons less their ELF bytes.
$(OUTPUT)/kmmtrace_direct.tmp.bpf.o: bpf/kmmtrace.bpf.c $(HDRS) $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DKMT_DIRECT_PC -c $< -o $@

$(OUTPUT)/kmmtrace_direct.skel.h: $(OUTPUT)/kmmtrace_direct.bpf.o $(OUTPUT)/kmmtrace.skel.h
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name kmmtrace_bpf > $@.tmp
	$(Q)sed '/^static inline const void \*kmmtrace_bpf__elf_bytes(size_t \*sz)$$/,/^}$$/d' \
		$@.tmp > $@.a; \
	sed '/^static inline const void \*kmmtrace_bpf__elf_bytes(size_t \*sz)$$/,/^}$$/d' \
		$(OUTPUT)/kmmtrace.skel.h > $@.b; \
	if ! cmp -s $@.a $@.b; then echo "kmmtrace_direct: layout differs from kmmtrace.bpf.o:"; \
		diff $@.b $@.a | head -20; rm -f $@.a $@.b $@.tmp; exit 1; fi; rm -f $@.a $@.b
	$(Q)$(BPFTOOL) gen skeleton $< name kmmtrace_direct > $@.tmp && mv $@.tmp $@

$(OUTPUT)/%.o: %.c $(HDRS) $(SKELS) | $(OUTPUT)/user $(OUTPUT)/model $(OUTPUT)/analysis $(OUTPUT)/tests $(OUTPUT)/tests/unit $(OUTPUT)/tests/live
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

kmmtrace: $(OUTPUT)/user/main.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

static: $(OUTPUT)/user/main.o $(LIB_OBJS)
	$(CC) $(CFLAGS) -static $^ $(STATIC_LIBS) -o kmmtrace-static

$(OUTPUT)/kmt-tests: $(TEST_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

test: kmmtrace $(OUTPUT)/kmt-tests
	KMMTRACE=$(CURDIR)/kmmtrace WORKLOAD=$(CURDIR)/$(OUTPUT)/kmt-tests $(OUTPUT)/kmt-tests $(T)

# libFuzzer harnesses (tests/fuzz/README.md): every library object again with clang,
# ASan and UBSan into $(OUTPUT)/fuzz/, the trace seeds generated there, then each
# harness for FUZZ_SECONDS; fails when any harness found a crash, leak, timeout or OOM.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_DIR := $(OUTPUT)/fuzz
FUZZ_HARNESSES := fuzz_trace fuzz_cmds fuzz_import fuzz_text
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -Wall -Wno-unused-parameter \
	       -Wno-missing-field-initializers -D_GNU_SOURCE -I$(OUTPUT) -Iuser -Ibpf -Imodel \
	       -Ianalysis -DFUZZ_DATA_DIR='"$(CURDIR)/tests/data"'
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRCS))
FUZZ_BINS := $(addprefix $(FUZZ_DIR)/,$(FUZZ_HARNESSES))

$(FUZZ_DIR)/obj/%.o: %.c $(HDRS) $(SKELS)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB_OBJS) $(LIBS) -o $@

$(FUZZ_DIR)/gen-seeds: tests/fuzz/gen_seeds.c $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $< $(FUZZ_LIB_OBJS) $(LIBS) -o $@

fuzz: $(FUZZ_BINS) $(FUZZ_DIR)/gen-seeds
	$(Q)rm -rf $(FUZZ_DIR)/seeds && mkdir -p $(FUZZ_DIR)/seeds/fuzz_trace $(FUZZ_DIR)/seeds/fuzz_text
	$(Q)$(FUZZ_DIR)/gen-seeds $(FUZZ_DIR)/seeds/fuzz_trace $(FUZZ_DIR)/seeds/fuzz_text tests/data \
		$(wildcard tests/data/import/*.txt)
	$(Q)ln -s fuzz_trace $(FUZZ_DIR)/seeds/fuzz_cmds
	$(Q)tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

# the man page, from the help texts (a unit test checks it is up to date)
man: kmmtrace
	tools/gen-man.sh ./kmmtrace > kmmtrace.8

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX).tmp && mv $(VMLINUX).tmp $(VMLINUX)
	@echo "regenerated $(VMLINUX) from $$(uname -r); update vmlinux/README"

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config \
		libjs-chart.js
	# test-only: perf (parity with perf kmem stat, the overload test, the benchmark),
	# chromium (the HTML report rendered headless), the sanitizer and libFuzzer
	# runtimes (make fuzz)
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends linux-perf \
		chromium libclang-rt-dev

# The README's first command: a short system-wide recording of the built-in workload.
demo: deps
	$(MAKE) kmmtrace
	./kmmtrace record -o demo.kmt -- ./kmmtrace workload mixed
	./kmmtrace info demo.kmt
	./kmmtrace report -n 5 demo.kmt
	./kmmtrace replay --check --orders 3-10 demo.kmt
	./kmmtrace lint -n 5 demo.kmt

# Debian's 6.1, 6.12 and 6.12-rt kernels under QEMU, with the planted-bug module
# (not part of make test; .ci/run runs it after the tests)
vmdeps:
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		qemu-system-x86 busybox-static cpio kmod gcc-12

vmtest:
	tests/vm/run.sh

bench: kmmtrace
	bench/run.sh

format:
	clang-format -i $(wildcard user/*.[ch] bpf/*.[ch] model/*.[ch] analysis/*.[ch])

clean:
	rm -rf $(OUTPUT) kmmtrace kmmtrace-static
