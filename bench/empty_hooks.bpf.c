// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Two BPF programs that do nothing, on the raw system-call tracepoints: what
 * the kernel charges for any program on every system call (the tracepoint
 * slow path each task then takes, the program's dispatch), with nothing of
 * futexscope's in it. bench/overhead.py's lowest floors (bench/empty_hooks.cpp).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("raw_tracepoint/sys_enter")
int empty_sys_enter(void *ctx)
{
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int empty_sys_exit(void *ctx)
{
	return 0;
}
