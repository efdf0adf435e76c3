#!/usr/bin/env bash
# ctest entry for the VM tests (label `vm`, see tests/vm/README.md):
#   test_vm.sh BUILD_DIR [run-in-vm.sh options] -- GUEST_COMMAND [ARGS...]
# Runs GUEST_COMMAND (the guest tests) in a VM with BUILD_DIR shared, as root;
# exits 77 (ctest SKIP_RETURN_CODE) with a loud note when not root.
set -euo pipefail
here=$(dirname "$(realpath "$0")")
build=$(realpath "${1:?usage: test_vm.sh BUILD_DIR [run-in-vm options] -- COMMAND...}")
shift
if [ "$(id -u)" -ne 0 ]; then
	echo
	echo "*** SKIPPED: the VM tests need root (BPF in the guest, the kernel cache in /var/cache) ***"
	echo
	exit 77
fi
cd "$build"
# A guest that hangs (run-in-vm's 124: the VM killed at its timeout) gets one
# more boot. Under TCG a CI run's guest once hung in a soft lockup that no run
# here has reproduced (tests/vm/README.md); the first attempt's console, with
# every CPU's backtrace, stays in the log above the second, and a second hang
# fails the test.
status=0
"$here/run-in-vm.sh" --bin "$build/futexscope" --bin "$build/samples" "$@" || status=$?
if [ "$status" -eq 124 ]; then
	echo
	echo "*** test_vm.sh: the VM hung (console above); booting it once more ***"
	echo
	status=0
	"$here/run-in-vm.sh" --bin "$build/futexscope" --bin "$build/samples" "$@" || status=$?
fi
exit "$status"
