#!/bin/sh
# exit_codes.sh: interpoll's command line and exit status.
#
# Run: INTERPOLL=/path/to/interpoll sh tests/runner/exit_codes.sh
# Prints "ok - NAME" or "FAIL - NAME: DETAIL" per case, then
# "N passed, M failed"; exits non-zero when a case failed.
#
# The exit statuses expected here are the ones a POSIX shell reports for
# the same command run natively: the program's code, 128+N when it was
# killed by signal N, 127 when it is not found, 126 when it cannot be
# executed; interpoll adds 2 for bad usage.

. "$(dirname "$0")/lib/runner.sh"
runner_setup exit
# A hung interpoll must not hang the suite: bound every run (timeout kills
# the whole process group it creates, guest tree included). timeout passes
# the exit status through, and re-raises a signal that killed its command.
bound 10

# run CMD...: stdout in $tmp/out, stderr in $tmp/err, status in $rc.
run() {
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
}

# expect_rc NAME WANT: checks $rc.
expect_rc() {
	if [ "$rc" -eq "$2" ]; then
		ok "$1"
	else
		nok "$1" "exit status $rc, want $2; stderr: $(flat "$tmp/err")"
	fi
}

# --- the program's own status -------------------------------------------

run $T "$INTERPOLL" -- /bin/true
expect_rc "true exits 0" 0

run $T "$INTERPOLL" -- /bin/false
expect_rc "false exits 1" 1

run $T "$INTERPOLL" -- sh -c 'exit 7'
expect_rc "exit 7 passes through" 7

run $T "$INTERPOLL" -- sh -c 'exit 255'
expect_rc "exit 255 passes through" 255

run $T "$INTERPOLL" -- sh -c 'kill -TERM $$'
expect_rc "killed by SIGTERM gives 143" 143

run $T "$INTERPOLL" -- sh -c 'kill -KILL $$'
expect_rc "killed by SIGKILL gives 137" 137

run $T "$INTERPOLL" -- sh -c 'kill -USR1 $$'
expect_rc "killed by SIGUSR1 gives 138" 138

# --- PROGRAM cannot be run ----------------------------------------------

# fails_with NAME WANT_RC RC_DETAIL OUT_DETAIL STDERR_CHECK: $rc is WANT_RC,
# the command STDERR_CHECK prints nothing (what it prints is the failure),
# stdout is empty. The details go with the failures.
fails_with() {
	if [ "$rc" -ne "$2" ]; then
		nok "$1" "exit status $rc, want $2$3"
	elif bad=$($5); [ -n "$bad" ]; then
		nok "$1" "$bad"
	elif [ -s "$tmp/out" ]; then
		nok "$1" "$4 '$(flat "$tmp/out")'"
	else
		ok "$1"
	fi
}

# stderr is exactly $tmp/want.
exact_stderr() {
	cmp -s "$tmp/want" "$tmp/err" || echo "stderr '$(flat "$tmp/err")'"
}

run $T "$INTERPOLL" -- nosuchprog
printf 'interpoll: nosuchprog: No such file or directory\n' >"$tmp/want"
fails_with "not found gives 127 and one exact message" 127 "" \
	"unexpected stdout" exact_stderr

run $T "$INTERPOLL" -- /nonexistent-dir/prog
expect_rc "missing absolute path gives 127" 127

printf '#!/bin/sh\necho should-not-run\n' >"$tmp/noexec"
chmod 644 "$tmp/noexec"
run $T "$INTERPOLL" -- "$tmp/noexec"
printf 'interpoll: %s: Permission denied\n' "$tmp/noexec" >"$tmp/want"
fails_with "non-executable file gives 126" 126 "; stderr: $(flat "$tmp/err")" \
	"the file ran:" exact_stderr

mkdir "$tmp/dir"
run $T "$INTERPOLL" -- "$tmp/dir"
expect_rc "directory gives 126" 126

# --- command-line syntax -------------------------------------------------

run $T "$INTERPOLL" true
expect_rc "-- is optional: interpoll true" 0

run $T "$INTERPOLL" sh -c 'exit 5'
expect_rc "-- is optional: program arguments kept" 5

name="options after PROGRAM belong to PROGRAM"
run $T "$INTERPOLL" echo --help -V --bogus
if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = "--help -V --bogus" ]; then
	ok "$name"
else
	nok "$name" "status $rc, stdout '$(flat "$tmp/out")'"
fi

name="-- lets PROGRAM start with a dash"
run $T "$INTERPOLL" -- -nosuchprog
if [ "$rc" -eq 127 ]; then ok "$name"; else nok "$name" "status $rc, want 127"; fi

# usage_error NAME ARGS...: status 2, nothing on stdout, one line on
# stderr that starts with "interpoll: ".
usage_error() {
	name=$1
	shift
	run $T "$INTERPOLL" "$@"
	fails_with "$name" 2 "" "unexpected stdout" one_message
}
one_message() {
	lines=$(wc -l <"$tmp/err")
	if [ "$lines" -ne 1 ]; then
		echo "$lines lines on stderr: '$(flat "$tmp/err")'"
	elif ! grep -q '^interpoll: ' "$tmp/err"; then
		echo "stderr '$(flat "$tmp/err")'"
	fi
}
usage_error "bad option --bogus gives 2" --bogus true
usage_error "bad short option -x gives 2" -x true
usage_error "bad --log-level value gives 2" --log-level=9 true
usage_error "bad --stats format gives 2" --stats=xml true
usage_error "no PROGRAM gives 2"
usage_error "no PROGRAM after -- gives 2" --
usage_error "no PROGRAM after options gives 2" -v

# --- --help and --version ------------------------------------------------

# prints NAME TEST: $rc is 0, the command TEST accepts $tmp/out, stderr is
# empty.
prints() {
	if [ "$rc" -ne 0 ]; then
		nok "$1" "exit status $rc"
	elif ! $2; then
		nok "$1" "stdout '$(flat "$tmp/out")'"
	elif [ -s "$tmp/err" ]; then
		nok "$1" "unexpected stderr '$(flat "$tmp/err")'"
	else
		ok "$1"
	fi
}
usage_first() { head -n 1 "$tmp/out" | grep -q '^Usage:'; }
version_only() {
	[ "$(wc -l <"$tmp/out")" -eq 1 ] && grep -q '^interpoll [0-9]' "$tmp/out"
}

for opt in --help -h; do
	run $T "$INTERPOLL" "$opt"
	prints "$opt exits 0 with Usage: on stdout" usage_first
done

name="--help wins over a following PROGRAM"
run $T "$INTERPOLL" --help false
if [ "$rc" -eq 0 ] && grep -q '^Usage:' "$tmp/out"; then ok "$name"; else nok "$name" "status $rc"; fi

for opt in --version -V; do
	run $T "$INTERPOLL" "$opt"
	prints "$opt exits 0 with 'interpoll VERSION'" version_only
done

finish
