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

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "FAIL - $1: $2"; }
# flat FILE: the file's text on one line (newlines shown as '|').
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
tmp=$(mktemp -d "${TMPDIR:-/tmp}/interpoll-exit.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# A hung interpoll must not hang the suite: bound every run (timeout kills
# the whole process group it creates, guest tree included). timeout passes
# the exit status through, and re-raises a signal that killed its command.
if timeout 5 true 2>/dev/null; then T="timeout -k 2 10"; else T=; fi

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

name="not found gives 127 and one exact message"
run $T "$INTERPOLL" -- nosuchprog
printf 'interpoll: nosuchprog: No such file or directory\n' >"$tmp/want"
if [ "$rc" -ne 127 ]; then
	nok "$name" "exit status $rc, want 127"
elif ! cmp -s "$tmp/want" "$tmp/err"; then
	nok "$name" "stderr '$(flat "$tmp/err")'"
elif [ -s "$tmp/out" ]; then
	nok "$name" "unexpected stdout '$(flat "$tmp/out")'"
else
	ok "$name"
fi

run $T "$INTERPOLL" -- /nonexistent-dir/prog
expect_rc "missing absolute path gives 127" 127

name="non-executable file gives 126"
printf '#!/bin/sh\necho should-not-run\n' >"$tmp/noexec"
chmod 644 "$tmp/noexec"
run $T "$INTERPOLL" -- "$tmp/noexec"
printf 'interpoll: %s: Permission denied\n' "$tmp/noexec" >"$tmp/want"
if [ "$rc" -ne 126 ]; then
	nok "$name" "exit status $rc, want 126; stderr: $(flat "$tmp/err")"
elif ! cmp -s "$tmp/want" "$tmp/err"; then
	nok "$name" "stderr '$(flat "$tmp/err")'"
elif [ -s "$tmp/out" ]; then
	nok "$name" "the file ran: '$(flat "$tmp/out")'"
else
	ok "$name"
fi

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
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -ne 2 ]; then
		nok "$name" "exit status $rc, want 2"
	elif [ "$lines" -ne 1 ]; then
		nok "$name" "$lines lines on stderr: '$(flat "$tmp/err")'"
	elif ! grep -q '^interpoll: ' "$tmp/err"; then
		nok "$name" "stderr '$(flat "$tmp/err")'"
	elif [ -s "$tmp/out" ]; then
		nok "$name" "unexpected stdout '$(flat "$tmp/out")'"
	else
		ok "$name"
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

for opt in --help -h; do
	name="$opt exits 0 with Usage: on stdout"
	run $T "$INTERPOLL" "$opt"
	if [ "$rc" -ne 0 ]; then
		nok "$name" "exit status $rc"
	elif ! head -n 1 "$tmp/out" | grep -q '^Usage:'; then
		nok "$name" "stdout '$(flat "$tmp/out")'"
	elif [ -s "$tmp/err" ]; then
		nok "$name" "unexpected stderr '$(flat "$tmp/err")'"
	else
		ok "$name"
	fi
done

name="--help wins over a following PROGRAM"
run $T "$INTERPOLL" --help false
if [ "$rc" -eq 0 ] && grep -q '^Usage:' "$tmp/out"; then ok "$name"; else nok "$name" "status $rc"; fi

for opt in --version -V; do
	name="$opt exits 0 with 'interpoll VERSION'"
	run $T "$INTERPOLL" "$opt"
	if [ "$rc" -ne 0 ]; then
		nok "$name" "exit status $rc"
	elif [ "$(wc -l <"$tmp/out")" -ne 1 ] || ! grep -q '^interpoll [0-9]' "$tmp/out"; then
		nok "$name" "stdout '$(flat "$tmp/out")'"
	elif [ -s "$tmp/err" ]; then
		nok "$name" "unexpected stderr '$(flat "$tmp/err")'"
	else
		ok "$name"
	fi
done

finish
