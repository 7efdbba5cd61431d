#!/bin/sh
# signals.sh: signals sent to interpoll are forwarded to PROGRAM.
#
# Run: INTERPOLL=/path/to/interpoll sh tests/runner/signals.sh
# Prints "ok - NAME" or "FAIL - NAME: DETAIL" per case, then
# "N passed, M failed"; exits non-zero when a case failed.
#
# Each case starts interpoll in the background with a guest shell that
# traps every forwarded signal (SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
# SIGUSR2, SIGALRM, SIGWINCH) with its own exit code, waits until the
# guest is running, then sends one signal to interpoll's pid (kill(2), not
# to the process group) 0.5 s later and expects that trap's output and
# exit code.
#
# SIGINT and SIGQUIT: a non-interactive sh starts background jobs ('&')
# with SIGINT and SIGQUIT ignored (POSIX, job control off), and a sh that
# starts with a signal ignored cannot trap it; interpoll, rightly, passes
# the ignored disposition on to its guest. So every job here is started
# through start_job, which resets SIGINT and SIGQUIT to SIG_DFL (GNU env
# --default-signal, or python3 as a fallback) and then execs interpoll, so
# that $! is interpoll's own pid. setsid would not help: it does not touch
# signal dispositions.

. "$(dirname "$0")/lib/runner.sh"
runner_setup sig

if env --default-signal=INT,QUIT true 2>/dev/null; then
	reset_with='env'
elif command -v python3 >/dev/null 2>&1; then
	reset_with='python3'
else
	reset_with=
fi

# start_job CMD...: run in a background subshell ('&'); replaces it with
# CMD, SIGINT and SIGQUIT reset to their default action.
start_job() {
	case $reset_with in
	env) exec env --default-signal=INT,QUIT "$@" ;;
	python3)
		# python3 itself ignores SIGPIPE and SIGXFSZ: reset those too.
		exec python3 -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ):
    signal.signal(s, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
		;;
	*) exec "$@" ;;
	esac
}

# state PID: the one-letter process state (Z for a zombie), empty if gone.
# Lower case counts too: an ASan build of interpoll shows t (tracing stop)
# while LeakSanitizer, at exit, stops it with ptrace to scan for leaks.
state() {
	sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' "/proc/$1/status" 2>/dev/null
}

# running PID: true while PID is alive and not yet a zombie (or dead).
running() {
	case $(state "$1") in
	'' | Z | X) return 1 ;;
	*) return 0 ;;
	esac
}

# wait_for_file FILE PID: up to 5 s for FILE to appear while PID runs.
wait_for_file() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 100 ] && running "$2"; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# wait_exit PID: up to 5 s for PID to exit (become a zombie). One look
# decides: a second one could see a state the first did not.
wait_exit() {
	i=0
	while running "$1"; do
		[ $i -lt 100 ] || return 1
		sleep 0.05
		i=$((i + 1))
	done
}

guest='trap "echo got-term; exit 3" TERM
trap "echo got-int; exit 4" INT
trap "echo got-hup; exit 5" HUP
trap "echo got-quit; exit 6" QUIT
trap "echo got-usr1; exit 7" USR1
trap "echo got-usr2; exit 8" USR2
trap "echo got-alrm; exit 9" ALRM
trap "echo got-winch; exit 10" WINCH
: >"$0"
while :; do sleep 0.1; done'

# signal_case NAME SIG GUEST WANT_STATUS WANT_STDOUT [IN_SYSCALL]
# IN_SYSCALL: the system call number interpoll's main thread must be in
# (/proc/PID/syscall) when the signal is sent.
signal_case() {
	name=$1 sig=$2 script=$3 want_rc=$4 want_out=$5 want_nr=${6:-}
	rm -f "$tmp/ready"
	start_job "$INTERPOLL" -- sh -c "$script" "$tmp/ready" \
		>"$tmp/out" 2>"$tmp/err" </dev/null &
	pid=$!
	if ! wait_for_file "$tmp/ready" "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		nok "$name" "the guest did not start (status $?, stderr: $(flat "$tmp/err"))"
		return
	fi
	comm=$(cat "/proc/$pid/comm" 2>/dev/null)
	if [ "$comm" != interpoll ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		nok "$name" "\$! is '$comm', not interpoll"
		return
	fi
	sleep 0.5
	nr=$(cut -d' ' -f1 "/proc/$pid/syscall" 2>/dev/null)
	kill "-$sig" "$pid"
	if ! wait_exit "$pid"; then
		st=$(state "$pid")
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		nok "$name" "interpoll still running 5 s after SIG$sig (state $st, in system call $nr)"
		return
	fi
	wait "$pid"
	rc=$?
	out=$(cat "$tmp/out")
	if [ -n "$want_nr" ] && [ "$nr" != "$want_nr" ]; then
		nok "$name" "interpoll was in system call '$nr', not $want_nr, when signalled"
	elif [ "$rc" -ne "$want_rc" ] || [ "$out" != "$want_out" ]; then
		nok "$name" "status $rc (want $want_rc), stdout '$(flat "$tmp/out")' (want '$want_out'), stderr '$(flat "$tmp/err")'"
	else
		ok "$name"
	fi
}

signal_case "SIGTERM forwarded" TERM "$guest" 3 got-term
if [ -n "$reset_with" ]; then
	signal_case "SIGINT forwarded" INT "$guest" 4 got-int
else
	ok "SIGINT forwarded # skip: neither env --default-signal nor python3"
fi
signal_case "SIGHUP forwarded" HUP "$guest" 5 got-hup
if [ -n "$reset_with" ]; then
	signal_case "SIGQUIT forwarded" QUIT "$guest" 6 got-quit
else
	ok "SIGQUIT forwarded # skip: neither env --default-signal nor python3"
fi
signal_case "SIGUSR1 forwarded" USR1 "$guest" 7 got-usr1
signal_case "SIGUSR2 forwarded" USR2 "$guest" 8 got-usr2
signal_case "SIGALRM forwarded" ALRM "$guest" 9 got-alrm
signal_case "SIGWINCH forwarded" WINCH "$guest" 10 got-winch

# Not trapped: the guest dies of the signal, interpoll reports 128+N as a
# shell would.
untrapped=': >"$0"; exec sleep 30'
signal_case "untrapped SIGTERM gives 143" TERM "$untrapped" 143 ""
signal_case "untrapped SIGHUP gives 129" HUP "$untrapped" 129 ""

# While no call waits in its tables, interpoll blocks receiving the next
# call (platform/direct.c), which only a call wakes: the signal must not
# wait for one. The guest makes calls (each process exit is one) until
# interpoll waits that way, then none: /proc shows interpoll's main thread
# in ioctl(2) (16: SECCOMP_IOCTL_NOTIF_RECV), not epoll_wait(2).
calls_then_none='i=0; while [ $i -lt 40 ]; do sleep 0; i=$((i + 1)); done
: >"$0"; exec sleep 30'
signal_case "SIGTERM forwarded while waiting for calls alone" TERM \
	"$calls_then_none" 143 "" 16

finish
