#!/usr/bin/env bash
# run-in-vm.sh: run one command inside a small qemu VM with a Debian kernel and
# N NUMA nodes of one CPU each; print its output and exit with its status.
# See tests/vm/README.md.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: tests/vm/run-in-vm.sh [--nodes N] [--kernel VERSION|PATH] [--mem MB]
                             [--timeout SECONDS] [--bin FILE|DIR]... [--verbose]
                             -- COMMAND [ARGS...]
       tests/vm/run-in-vm.sh [--kernel VERSION|PATH] --prepare

Boots a Debian kernel under qemu-system-x86_64 (KVM if /dev/kvm is usable, else
TCG) with N NUMA nodes of one CPU each, and runs COMMAND in it as root, in the
current directory. The current directory and every directory in $VM_EXTRA_DIR
(colon-separated) are shared read-write at the same paths (9p). COMMAND's
stdout/stderr are printed on stdout/stderr (kernel messages never mix in);
the exit status is COMMAND's, 124 if the VM timed out, 125 if it died first.

  --nodes N        NUMA nodes (= CPUs), 1..8 (default 2)
  --kernel K       6.1 (default), 6.12: the newest Debian package of that series
                   (linux-image-<ver>-amd64-unsigned, downloaded once into
                   /var/cache/futexscope-vm); 6.1.0-56-amd64: that exact one;
                   a path to a .deb, or a directory made by this script
  --mem MB         guest memory, split evenly over the nodes (default 1024)
  --timeout S      kill the VM after S seconds (default 300)
  --bin FILE|DIR   also copy the shared libraries of FILE (or of every ELF
                   executable directly in DIR) into the guest; COMMAND itself
                   is always looked at. busybox provides the usual commands.
  --verbose        show the guest's console (boot log) on stderr
  --prepare        only download and unpack the kernel into the cache (needs
                   the Debian package mirror once; later runs work offline)

Environment: VM_EXTRA_DIR (more shared directories), VM_ENV (names of more
variables to pass in; FXS_* are always passed), FXS_VM_ACCEL=tcg (no KVM),
FXS_VM_CACHE (default /var/cache/futexscope-vm), FXS_VM_UPDATE=1 (look for a
newer kernel package even if one is cached).
EOF
}

die() { echo "run-in-vm: $*" >&2; exit 125; }
note() { echo "run-in-vm: $*" >&2; }

NODES=2
KERNEL=6.1
MEM=1024
TIMEOUT=300
VERBOSE=0
PREPARE=0
BINS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--nodes) NODES=${2:?}; shift 2 ;;
	--nodes=*) NODES=${1#*=}; shift ;;
	--kernel) KERNEL=${2:?}; shift 2 ;;
	--kernel=*) KERNEL=${1#*=}; shift ;;
	--mem) MEM=${2:?}; shift 2 ;;
	--mem=*) MEM=${1#*=}; shift ;;
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	--timeout=*) TIMEOUT=${1#*=}; shift ;;
	--bin) BINS+=("${2:?}"); shift 2 ;;
	--bin=*) BINS+=("${1#*=}"); shift ;;
	--verbose | -v) VERBOSE=1; shift ;;
	--prepare) PREPARE=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) usage >&2; die "unknown argument '$1' (the command goes after --)" ;;
	esac
done
[ $# -gt 0 ] || [ "$PREPARE" = 1 ] || { usage >&2; die "no COMMAND given"; }
[[ "$NODES" =~ ^[1-8]$ ]] || die "--nodes must be 1..8"
[[ "$MEM" =~ ^[0-9]+$ ]] && [ "$MEM" -ge $((128 * NODES)) ] || die "--mem must be at least $((128 * NODES)) (MB)"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds"

QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found: apt-get install qemu-system-x86 (or scripts/install-deps.sh)"
BUSYBOX=$(command -v busybox) || die "busybox not found: apt-get install busybox-static"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is not statically linked: apt-get install busybox-static"
fi

CACHE=${FXS_VM_CACHE:-/var/cache/futexscope-vm}

# ---- Kernel: a cache entry is a directory kernels/<uname -r>/ holding vmlinuz,
# config, modules/*.ko (uncompressed) and modules.load (insmod order) with what
# the guest needs to mount 9p shares. ------------------------------------------

# The modules the guest loads, with their dependencies, in load order.
GUEST_MODULES=(virtio_pci 9pnet_virtio 9p)

# Decompresses bzImage $1 into the ELF $2 (booted through PVH): under TCG the
# in-guest decompressor would take ~9 s of the boot.
extract_vmlinux() {
	local in=$1 out=$2 magic tool off
	for magic in xz:'\xfd7zXZ' zstd:'\x28\xb5\x2f\xfd' gzip:'\x1f\x8b\x08'; do
		tool=${magic%%:*}
		off=$(LC_ALL=C grep -abo "$(printf "${magic#*:}")" "$in" | head -n1 | cut -d: -f1)
		[ -n "$off" ] || continue
		case $tool in
		xz) tail -c +$((off + 1)) "$in" | xz -dc 2>/dev/null >"$out" || true ;;
		zstd) tail -c +$((off + 1)) "$in" | zstd -qdc 2>/dev/null >"$out" || true ;;
		gzip) tail -c +$((off + 1)) "$in" | gzip -dc 2>/dev/null >"$out" || true ;;
		esac
		if [ "$(head -c4 "$out" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			return 0
		fi
	done
	rm -f "$out"
	note "warning: could not decompress $in; booting the bzImage (slower under TCG)"
}

# Fills $1 (a new cache entry) from kernel $3 of an unpacked kernel package at $2.
make_cache_entry() {
	local out=$1 root=$2 kver=$3
	local mods=$root/lib/modules/$kver
	[ -f "$root/boot/vmlinuz-$kver" ] || die "no boot/vmlinuz-$kver in the package"
	mkdir -p "$out/modules"
	cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
	extract_vmlinux "$out/vmlinuz" "$out/vmlinux"
	cp "$root/boot/config-$kver" "$out/config" 2>/dev/null || true
	declare -A path=() done=()
	local f n
	while IFS= read -r f; do
		n=$(basename "$f"); n=${n%%.ko*}
		path[$n]=$f; path[${n//-/_}]=$f
	done < <(find "$mods/kernel" -name '*.ko*')
	local order=()
	add_module() {
		local m=$1 deps d
		[ -z "${done[$m]:-}" ] || return 0
		done[$m]=1
		if [ -z "${path[$m]:-}" ]; then
			# Built into this kernel (or not needed): nothing to load.
			grep -qE "/${m//_/[-_]}\.ko" "$mods/modules.builtin" 2>/dev/null ||
				note "warning: module $m is neither a module nor built in ($kver)"
			return 0
		fi
		case "${path[$m]}" in
		*.ko) cp "${path[$m]}" "$out/modules/$m.ko" ;;
		*.ko.xz) xz -dc "${path[$m]}" >"$out/modules/$m.ko" ;;
		*.ko.zst) zstd -qdc "${path[$m]}" >"$out/modules/$m.ko" ;;
		*.ko.gz) gzip -dc "${path[$m]}" >"$out/modules/$m.ko" ;;
		*) die "cannot read module ${path[$m]}" ;;
		esac
		deps=$(tr '\0' '\n' <"$out/modules/$m.ko" | sed -n 's/^depends=//p' | head -n1)
		for d in ${deps//,/ }; do add_module "$d"; done
		order+=("$m")
	}
	for f in "${GUEST_MODULES[@]}"; do add_module "$f"; done
	printf '%s\n' "${order[@]}" >"$out/modules.load"
}

# Newest cached kernel whose version starts with $1 (e.g. "6.1" -> 6.1.0-N-amd64).
cached_kernel() {
	local spec=$1
	[ -d "$CACHE/kernels" ] || return 0
	find "$CACHE/kernels" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
		grep -E "^${spec//./\\.}([.-].*)?-amd64$" | grep -vE -- '-(cloud|rt)-amd64$' |
		sort -V | tail -n1 || true
}

# Package name for a kernel spec: exact "6.1.0-56-amd64" or newest of "6.1".
kernel_package() {
	local spec=$1 list
	if [[ "$spec" =~ -amd64$ ]]; then
		echo "linux-image-$spec-unsigned"
		return
	fi
	list=$(apt-cache search --names-only "^linux-image-${spec//./\\.}[.-].*-amd64-unsigned\$" 2>/dev/null |
		awk '{print $1}' | grep -vE -- '-(cloud|rt)-amd64-unsigned$' || true)
	if [ -z "$list" ]; then
		note "apt-cache knows no linux-image-$spec*-amd64-unsigned; running apt-get update"
		apt-get update -q >&2 || true
		list=$(apt-cache search --names-only "^linux-image-${spec//./\\.}[.-].*-amd64-unsigned\$" 2>/dev/null |
			awk '{print $1}' | grep -vE -- '-(cloud|rt)-amd64-unsigned$' || true)
	fi
	[ -n "$list" ] || die "no Debian package linux-image-$spec*-amd64-unsigned (try --kernel 6.1 or 6.12)"
	echo "$list" | sort -V | tail -n1
}

# Unpacks the kernel package file $1 into the cache; prints the kernel version.
install_deb() {
	local deb=$1 tmp kver
	tmp=$(mktemp -d "$CACHE/.unpack.XXXXXX")
	note "unpacking $(basename "$deb") (once)"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/*' './lib/modules/*' ||
		{ rm -rf "$tmp"; die "cannot unpack $deb"; }
	kver=$(ls "$tmp/lib/modules" | head -n1)
	[ -n "$kver" ] || { rm -rf "$tmp"; die "$deb holds no kernel modules"; }
	if [ ! -d "$CACHE/kernels/$kver" ]; then
		rm -rf "$CACHE/kernels/.new-$kver"
		make_cache_entry "$CACHE/kernels/.new-$kver" "$tmp" "$kver"
		mv "$CACHE/kernels/.new-$kver" "$CACHE/kernels/$kver"
	fi
	rm -rf "$tmp"
	echo "$kver"
}

# Sets KDIR to the cache entry for --kernel.
resolve_kernel() {
	local spec=$1 kver="" pkg dl
	if [ -d "$spec" ] && [ -f "$spec/vmlinuz" ]; then
		KDIR=$(realpath "$spec")
		return
	fi
	mkdir -p "$CACHE/kernels" || die "cannot create $CACHE (run as root, or set FXS_VM_CACHE)"
	if [ -f "$spec" ]; then
		case "$spec" in *.deb) ;; *) die "--kernel $spec: expected a .deb, a directory or a version" ;; esac
		exec 9>"$CACHE/lock"
		flock 9
		kver=$(install_deb "$(realpath "$spec")")
		flock -u 9
		KDIR=$CACHE/kernels/$kver
		return
	fi
	[[ "$spec" =~ ^[0-9]+\.[0-9]+([.-][0-9A-Za-z.+-]*)?$ ]] || die "--kernel $spec: not a version, .deb or directory"
	[[ "$spec" =~ -cloud-amd64$ ]] && die "--kernel $spec: Debian's cloud kernels have no 9p; use the -amd64 flavour"
	exec 9>"$CACHE/lock"
	flock 9
	if [[ "$spec" =~ -amd64$ ]]; then
		[ -d "$CACHE/kernels/$spec" ] && kver=$spec
	elif [ "${FXS_VM_UPDATE:-0}" != 1 ]; then
		kver=$(cached_kernel "$spec")
	fi
	if [ -z "$kver" ]; then
		pkg=$(kernel_package "$spec")
		kver=${pkg#linux-image-}; kver=${kver%-unsigned}
		if [ ! -d "$CACHE/kernels/$kver" ]; then
			dl=$(mktemp -d "$CACHE/.download.XXXXXX")
			note "downloading $pkg (once)"
			(cd "$dl" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2) ||
				{ rm -rf "$dl"; die "apt-get download $pkg failed"; }
			kver=$(install_deb "$dl"/*.deb)
			rm -rf "$dl"
		fi
	fi
	flock -u 9
	KDIR=$CACHE/kernels/$kver
}

resolve_kernel "$KERNEL"
KVER=$(basename "$KDIR")
if [ "$PREPARE" = 1 ]; then
	note "kernel $KVER ready in $KDIR"
	exit 0
fi

# ---- Shares: results dir + cwd + $VM_EXTRA_DIR, at the same paths. ----------

WORK=$(mktemp -d /tmp/fxs-vm.XXXXXX)
QPID=""
cleanup() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
RES=$WORK/res # shared with the guest as /fxs-vm
ROOT=$WORK/root # the initramfs tree
mkdir -p "$RES" "$ROOT"

SHARES=()
add_share() {
	local d
	d=$(realpath -e "$1" 2>/dev/null) || die "shared directory $1 does not exist"
	[ -d "$d" ] || die "shared path $1 is not a directory"
	[ "$d" != / ] || die "cannot share /"
	for s in "${SHARES[@]}"; do [ "$s" != "$d" ] || return 0; done
	SHARES+=("$d")
}
add_share "$PWD"
IFS=':' read -r -a extra <<<"${VM_EXTRA_DIR:-}"
for d in "${extra[@]}"; do [ -z "$d" ] || add_share "$d"; done

sq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

QARGS=()
i=0
{
	# Parents before children: sort by path length.
	for s in $(for s in "${SHARES[@]}"; do printf '%s\t%s\n' "${#s}" "$(printf '%s' "$s" | base64 -w0)"; done |
		sort -n | cut -f2); do
		p=$(printf '%s' "$s" | base64 -d)
		echo "mkdir -p $(sq "$p") && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 fxs$i $(sq "$p") ||
			echo 'run-in-vm: guest: cannot mount '$(sq "$p") >&2"
		QARGS+=(-virtfs "local,path=${p//,/,,},mount_tag=fxs$i,security_model=none,id=fxs$i")
		i=$((i + 1))
	done
} >"$RES/mounts"
QARGS+=(-virtfs "local,path=${RES//,/,,},mount_tag=fxsres,security_model=none,id=fxsres")

{
	echo "cd $(sq "$(pwd -P)") || exit 126"
	env | sed -n 's/^\(FXS_[A-Za-z0-9_]*\)=.*/\1/p' | sort -u | while read -r n; do
		echo "export $n=$(sq "${!n}")"
	done
	for n in ${VM_ENV:-}; do
		[ -n "${!n+x}" ] && echo "export $n=$(sq "${!n}")"
	done
	printf 'exec'
	for a in "$@"; do printf ' %s' "$(sq "$a")"; done
	echo
} >"$RES/cmd"

# ---- initramfs: busybox, modules, init, and the shared libraries of COMMAND
# and --bin (the binaries themselves stay on the shares). ----------------------

mkdir -p "$ROOT"/{usr/bin,usr/lib64,usr/lib/x86_64-linux-gnu,proc,sys,dev,tmp,run,etc,root,fxs-vm,modules}
ln -s usr/bin "$ROOT/bin"
ln -s usr/bin "$ROOT/sbin"
ln -s bin "$ROOT/usr/sbin"
ln -s usr/lib "$ROOT/lib"
ln -s usr/lib64 "$ROOT/lib64"
cp "$BUSYBOX" "$ROOT/usr/bin/busybox"
for a in $("$BUSYBOX" --list); do
	[ -e "$ROOT/usr/bin/$a" ] || ln -s busybox "$ROOT/usr/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOT/etc/passwd"
echo 'root:x:0:' >"$ROOT/etc/group"
cp "$KDIR"/modules/*.ko "$ROOT/modules/" 2>/dev/null || true
cp "$KDIR/modules.load" "$ROOT/modules.load"

ELFS=()
add_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] && ELFS+=("$1") || true; }
if c=$(command -v -- "$1" 2>/dev/null) && [ -f "$c" ]; then add_elf "$c"; fi
for b in "${BINS[@]}"; do
	if [ -d "$b" ]; then
		for f in "$b"/*; do [ -f "$f" ] && [ -x "$f" ] && add_elf "$f"; done
	elif [ -f "$b" ]; then
		add_elf "$b"
	else
		die "--bin $b: no such file or directory"
	fi
done
LIBS=()
if [ ${#ELFS[@]} -gt 0 ]; then
	mapfile -t LIBS < <(ldd "${ELFS[@]}" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u)
fi
# pthread_cancel and C++ unwinding load libgcc_s at run time.
for l in /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib64/ld-linux-x86-64.so.2; do [ -e "$l" ] && LIBS+=("$l"); done
for l in "${LIBS[@]}"; do
	d=$(realpath "$(dirname "$l")")
	mkdir -p "$ROOT$d"
	[ -e "$ROOT$d/$(basename "$l")" ] || cp -L "$l" "$ROOT$d/$(basename "$l")"
done

cat >"$ROOT/init" <<'EOF'
#!/bin/sh
export PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
ln -s /proc/self/fd /dev/fd
hostname fxs-vm
while read -r m; do insmod "/modules/$m.ko" || echo "run-in-vm: guest: insmod $m failed" >&2; done </modules.load
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 fxsres /fxs-vm; then
	. /fxs-vm/mounts
	/bin/sh /fxs-vm/cmd </dev/null >/fxs-vm/stdout 2>/fxs-vm/stderr
	echo $? >/fxs-vm/status.tmp && mv /fxs-vm/status.tmp /fxs-vm/status
	sync
fi
poweroff -f
reboot -f
EOF
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) >"$WORK/initrd" || die "cannot build the initramfs"

# ---- qemu --------------------------------------------------------------------

# KVM when /dev/kvm is usable for an ordinary guest kernel. A PVM host
# (module kvm_pvm, e.g. inside some cloud sandboxes) offers /dev/kvm but runs
# only PVM-enabled guest kernels: a Debian kernel hangs there, so use TCG.
ACCEL_WHY=""
case "${FXS_VM_ACCEL:-}" in
kvm) USE_KVM=1 ;;
tcg) USE_KVM=0; ACCEL_WHY="FXS_VM_ACCEL=tcg" ;;
*)
	if [ ! -e /dev/kvm ]; then
		USE_KVM=0; ACCEL_WHY="no /dev/kvm"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		USE_KVM=0; ACCEL_WHY="/dev/kvm not accessible"
	elif [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
		USE_KVM=0; ACCEL_WHY="/dev/kvm is PVM (kvm_pvm), which cannot run a stock kernel"
	else
		USE_KVM=1
	fi
	;;
esac
if [ "$USE_KVM" = 1 ]; then
	# arch-capabilities: nested KVM may refuse to set that MSR.
	ACCEL=(-accel kvm -cpu host,-arch-capabilities)
	ACCEL_NAME=KVM
else
	ACCEL=(-accel tcg,thread=multi -cpu max)
	ACCEL_NAME="TCG ($ACCEL_WHY)"
fi
KIMG=$KDIR/vmlinuz
[ -f "$KDIR/vmlinux" ] && KIMG=$KDIR/vmlinux
PER=$((MEM / NODES))
NUMA=()
for ((n = 0; n < NODES; n++)); do
	NUMA+=(-object "memory-backend-ram,id=m$n,size=${PER}M" -numa "node,nodeid=$n,cpus=$n,memdev=m$n")
done
: >"$RES/stdout"
: >"$RES/stderr"
: >"$WORK/console"
note "kernel $KVER, $NODES NUMA node(s) x 1 CPU, $((PER * NODES)) MiB, $ACCEL_NAME"

START=$(date +%s%N)
timeout -k 5 "$TIMEOUT" "$QEMU" -nodefaults -no-user-config -no-reboot -display none \
	-machine q35 "${ACCEL[@]}" -smp "$NODES" -m "$((PER * NODES))M" "${NUMA[@]}" \
	-kernel "$KIMG" -initrd "$WORK/initrd" \
	-append "console=ttyS0 ${FXS_VM_APPEND:-quiet loglevel=5} printk.time=1 panic=-1 oops=panic softlockup_all_cpu_backtrace=1 rdinit=/init mitigations=off i8042.noaux i8042.nokbd" \
	-serial "file:$WORK/console" -nic none "${QARGS[@]}" </dev/null >"$WORK/qemu.log" 2>&1 &
QPID=$!
tail -s 0.1 -n +1 -f --pid="$QPID" "$RES/stdout" &
T1=$!
tail -s 0.1 -n +1 -f --pid="$QPID" "$RES/stderr" >&2 &
T2=$!
T3=""
if [ "$VERBOSE" = 1 ]; then
	tail -s 0.1 -n +1 -f --pid="$QPID" "$WORK/console" | sed 's/^/[console] /' >&2 &
	T3=$!
fi
set +e
wait "$QPID"
QSTATUS=$?
set -e
QPID=""
wait $T1 $T2 $T3 2>/dev/null || true
SECS=$(awk "BEGIN{printf \"%.1f\", ($(date +%s%N) - $START) / 1e9}")

show_console() {
	echo "run-in-vm: --- qemu ---" >&2
	tail -n 20 "$WORK/qemu.log" >&2 || true
	echo "run-in-vm: --- guest console (last 200 lines) ---" >&2
	tail -n 200 "$WORK/console" | tr -d '\r' >&2 || true
}
if [ "$QSTATUS" = 124 ] || [ "$QSTATUS" = 137 ]; then
	show_console
	note "TIMEOUT: the VM was killed after ${TIMEOUT}s"
	exit 124
fi
if [ ! -s "$RES/status" ]; then
	show_console
	note "the VM stopped (qemu status $QSTATUS) before COMMAND finished (kernel panic? see above)"
	exit 125
fi
STATUS=$(cat "$RES/status")
note "COMMAND exited with status $STATUS; VM ran ${SECS}s"
exit "$STATUS"
