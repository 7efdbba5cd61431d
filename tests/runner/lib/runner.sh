# runner.sh: the harness the tests/runner scripts source (. "$lib/runner.sh").
#
# A script calls runner_setup TAG first, reports each case with ok NAME or
# nok NAME DETAIL, and ends with finish, which prints "N passed, M failed"
# and exits non-zero when a case failed.

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "FAIL - $1: $2"; }
# oneline TEXT: TEXT on one line (newlines shown as spaces).
oneline() { printf '%s' "$1" | tr '\n' ' ' | cut -c1-300; }
# flat FILE [WIDTH]: the file's text on one line (newlines shown as '|'),
# at most WIDTH (default 200) characters.
flat() { tr '\n' '|' <"$1" | cut -c1-"${2:-200}"; }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

# equal NAME A B LABEL_A LABEL_B: ok when the two texts are the same.
equal() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		nok "$1" "$4 [$(oneline "$2")] $5 [$(oneline "$3")]"
	fi
}

# runner_setup TAG: $INTERPOLL must name the interpoll binary; makes $tmp,
# a directory removed at exit.
runner_setup() {
	if [ -z "${INTERPOLL:-}" ] || [ ! -x "$INTERPOLL" ]; then
		echo "FAIL - setup: INTERPOLL must name the interpoll binary (got '${INTERPOLL:-}')"
		echo "0 passed, 1 failed"
		exit 1
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/interpoll-$1.XXXXXX") || exit 1
	trap 'rm -rf "$tmp"' EXIT
}

# bound SECONDS: $T becomes a prefix that bounds a run to SECONDS
# (timeout(1), killing 2 s later if need be), or nothing without it.
bound() {
	if timeout 5 true 2>/dev/null; then T="timeout -k 2 $1"; else T=; fi
}
