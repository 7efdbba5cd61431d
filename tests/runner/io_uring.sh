#!/bin/sh
# io_uring.sh: --io-uring=deny|allow.
#
# Run: INTERPOLL=/path/to/interpoll sh tests/runner/io_uring.sh
# Prints "ok - NAME" or "FAIL - NAME: DETAIL" per case, then
# "N passed, M failed"; exits non-zero when a case failed.
#
# By default (and with --io-uring=deny) the filter answers io_uring_setup
# with ENOSYS, so programs fall back to plain system calls whose epoll_ctl
# interpoll sees; --io-uring=allow lets the ring be created. The probe is
# python3 with ctypes (scripts/setup installs it): it prints what
# io_uring_setup and io_uring_enter on fd -1 answered.

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "FAIL - $1: $2"; }
flat() { tr '\n' '|' <"$1" | cut -c1-200; }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

if [ -z "${INTERPOLL:-}" ] || [ ! -x "$INTERPOLL" ]; then
	echo "FAIL - setup: INTERPOLL must name the interpoll binary (got '${INTERPOLL:-}')"
	echo "0 passed, 1 failed"
	exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "ok - io_uring cases # skip: no python3"
	echo "1 passed, 0 failed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/interpoll-uring.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
if timeout 5 true 2>/dev/null; then T="timeout -k 2 20"; else T=; fi

# One line: "setup ok" or "setup ERRNO", then "enter ERRNO" for
# io_uring_enter on fd -1 (never a ring, so it must fail natively).
probe='import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
params = ctypes.create_string_buffer(120)  # struct io_uring_params
fd = libc.syscall(ctypes.c_long(425), ctypes.c_long(4), params)
setup = "ok" if fd >= 0 else errno.errorcode[ctypes.get_errno()]
r = libc.syscall(ctypes.c_long(426), ctypes.c_long(-1), ctypes.c_long(0),
                 ctypes.c_long(0), ctypes.c_long(0), None, ctypes.c_long(0))
enter = "ok" if r >= 0 else errno.errorcode[ctypes.get_errno()]
print("setup", setup, "enter", enter)'

# run CMD...: stdout in $tmp/out, stderr in $tmp/err, status in $rc.
run() {
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
}

# expect NAME WANT CMD...: CMD exits 0 and prints exactly WANT.
expect() {
	name=$1
	want=$2
	shift 2
	run $T "$@"
	if [ "$rc" -ne 0 ]; then
		nok "$name" "exit status $rc; stderr: $(flat "$tmp/err")"
	elif [ "$(cat "$tmp/out")" != "$want" ]; then
		nok "$name" "got '$(flat "$tmp/out")', want '$want'"
	else
		ok "$name"
	fi
}

run $T python3 -c "$probe"
native=$(cat "$tmp/out")
echo "# natively: $native"

expect "default: io_uring_setup fails with ENOSYS" "setup ENOSYS enter EBADF" \
	"$INTERPOLL" -- python3 -c "$probe"
expect "--io-uring=deny: io_uring_setup fails with ENOSYS" \
	"setup ENOSYS enter EBADF" \
	"$INTERPOLL" --io-uring=deny -- python3 -c "$probe"
# shellcheck disable=SC2016 # $1 is for the inner sh
expect "a child of PROGRAM is refused too" "setup ENOSYS enter EBADF" \
	"$INTERPOLL" -- sh -c 'python3 -c "$1"' sh "$probe"
expect "the last --io-uring wins" "setup ENOSYS enter EBADF" \
	"$INTERPOLL" --io-uring=allow --io-uring=deny -- python3 -c "$probe"

# allow gives what Linux gives: a ring where io_uring works natively.
name="--io-uring=allow: io_uring_setup works as natively"
case $native in
"setup ok enter EBADF")
	expect "$name" "$native" \
		"$INTERPOLL" --io-uring=allow -- python3 -c "$probe"
	;;
"setup "*)
	# io_uring is off on this host (sysctl, or a kernel without it):
	# allow must then give the same refusal as natively.
	expect "$name # io_uring unavailable natively" "$native" \
		"$INTERPOLL" --io-uring=allow -- python3 -c "$probe"
	;;
*)
	nok "$name" "the native probe printed '$native'"
	;;
esac

# usage_error NAME ARGS...: status 2, nothing on stdout, one line on
# stderr that starts with "interpoll: " and names the option.
usage_error() {
	name=$1
	shift
	run $T "$INTERPOLL" "$@"
	if [ "$rc" -ne 2 ]; then
		nok "$name" "exit status $rc, want 2"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		nok "$name" "stderr '$(flat "$tmp/err")'"
	elif ! grep -q '^interpoll: .*io-uring' "$tmp/err"; then
		nok "$name" "stderr '$(flat "$tmp/err")'"
	elif [ -s "$tmp/out" ]; then
		nok "$name" "unexpected stdout '$(flat "$tmp/out")'"
	else
		ok "$name"
	fi
}
usage_error "--io-uring=foo exits 2 with a message" --io-uring=foo true
echo "# $(head -n 1 "$tmp/err")"
usage_error "--io-uring= exits 2 with a message" --io-uring= true
usage_error "--io-uring without a value exits 2" --io-uring true

finish
