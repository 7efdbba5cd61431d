#!/bin/sh
# fds.sh: interpoll adds no file descriptor to PROGRAM and takes none away.
#
# Run: INTERPOLL=/path/to/interpoll sh tests/runner/fds.sh
# Prints "ok - NAME" or "FAIL - NAME: DETAIL" per case, then
# "N passed, M failed"; exits non-zero when a case failed.
#
# Each case runs the same command natively and under interpoll from this
# shell, with the same redirections, and compares the two outputs.

. "$(dirname "$0")/lib/runner.sh"
runner_setup fds
# Bound every run; the native runs go through the same wrapper, so it
# cannot make the two sides differ (timeout opens no fd).
bound 10

# same NAME NATIVE GUEST: compare two outputs.
same() { equal "$1" "$2" "$3" native interpoll; }

# 1. The fd numbers: ls opens one fd of its own for the directory, at the
# lowest free number, so an fd interpoll leaked would show up as an extra
# number (and shift ls's own).
native=$($T ls /proc/self/fd)
guest=$($T "$INTERPOLL" -- ls /proc/self/fd)
same "ls /proc/self/fd: no fd added" "$native" "$guest"

# 2. The same with fds the shell opened itself, including a gap and a
# high number: inherited fds pass through at their numbers.
exec 5</dev/null 7>"$tmp/seven" 9<"$0"
native=$($T ls /proc/self/fd)
guest=$($T "$INTERPOLL" -- ls /proc/self/fd)
same "ls /proc/self/fd with inherited fds 5 7 9" "$native" "$guest"

# 3. What each fd refers to. stdout goes to one file (not a pipe, which
# would differ between two command substitutions) for both runs; sh
# expands the glob before the loop, and readlink runs in a child, so the
# shell holds no extra fd while the links are read.
list_fds='for f in /proc/$$/fd/*; do printf "%s " "${f##*/}"; readlink "$f"; done'
$T sh -c "$list_fds" >"$tmp/o" 2>&1
mv "$tmp/o" "$tmp/native"
$T "$INTERPOLL" -- sh -c "$list_fds" >"$tmp/o" 2>&1
mv "$tmp/o" "$tmp/guest"
same "fd targets are the same" "$(cat "$tmp/native")" "$(cat "$tmp/guest")"

# 4. Open-file flags (O_APPEND, O_NONBLOCK...) of every fd are untouched.
show_flags='for f in /proc/$$/fdinfo/*; do echo "${f##*/} $(grep ^flags: "$f")"; done'
$T sh -c "$show_flags" >"$tmp/o" 2>&1
mv "$tmp/o" "$tmp/native.flags"
$T "$INTERPOLL" -- sh -c "$show_flags" >"$tmp/o" 2>&1
mv "$tmp/o" "$tmp/guest.flags"
same "fd flags are the same" "$(cat "$tmp/native.flags")" "$(cat "$tmp/guest.flags")"
exec 5<&- 7>&- 9<&-

# 5. With stdin, stdout and stderr closed: interpoll must not fill the
# holes with fds of its own (the program sees them closed too).
native=$($T sh -c 'ls /proc/self/fd >&3' 3>&1 <&- 2>&-)
guest=$($T "$INTERPOLL" -- sh -c 'ls /proc/self/fd >&3' 3>&1 <&- 2>&-)
same "closed stdin/stderr stay closed" "$native" "$guest"

# 6. An epoll and an eventfd the program creates (interpoll injects them)
# land at the lowest free numbers, as natively, and nothing else appears.
if command -v python3 >/dev/null 2>&1; then
	prog='import os, select
ep = select.epoll(); e = os.eventfd(0)
print(ep.fileno(), e, sorted(int(x) for x in os.listdir("/proc/self/fd")))'
	native=$($T python3 -c "$prog" 2>&1)
	guest=$($T "$INTERPOLL" -- python3 -c "$prog" 2>&1)
	same "epoll and eventfd get the lowest free numbers" "$native" "$guest"
else
	ok "epoll and eventfd get the lowest free numbers # skip: no python3"
fi

finish
