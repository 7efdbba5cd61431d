#!/bin/sh
# passthrough.sh: what PROGRAM inherits reaches it untouched through
# interpoll: stdin, the environment, the working directory, rlimits, the
# umask, the signal mask and ignored signals.
#
# Run: INTERPOLL=/path/to/interpoll sh tests/runner/passthrough.sh
# Prints "ok - NAME" or "FAIL - NAME: DETAIL" per case, then
# "N passed, M failed"; exits non-zero when a case failed.

. "$(dirname "$0")/lib/runner.sh"
runner_setup pass
# Bound every run (timeout changes no rlimit, mask or environment).
bound 10

# is NAME WANT GOT
is() { equal "$1" "$2" "$3" want got; }

# --- stdin ------------------------------------------------------------------

is "stdin from a pipe" "hello" "$(echo hello | $T "$INTERPOLL" -- cat)"

head -c 1048576 /dev/urandom >"$tmp/big"
is "1 MiB of stdin from a file" "$(cksum <"$tmp/big")" \
	"$($T "$INTERPOLL" -- cat <"$tmp/big" | cksum)"

# --- environment ------------------------------------------------------------

is "environment variable" "bar" \
	"$(FOO=bar $T "$INTERPOLL" -- sh -c 'echo $FOO')"

# The whole environment, exactly: interpoll adds and removes nothing.
native=$(env -i FOO=bar 'SP=a b' EMPTY= /usr/bin/env)
guest=$(env -i FOO=bar 'SP=a b' EMPTY= $T "$INTERPOLL" -- /usr/bin/env)
is "environment exactly as given" "$native" "$guest"

# execvp semantics: PATH is searched for PROGRAM.
mkdir "$tmp/bin"
printf '#!/bin/sh\necho found-in-path\n' >"$tmp/bin/interpoll-test-prog"
chmod 755 "$tmp/bin/interpoll-test-prog"
is "PROGRAM searched in PATH" "found-in-path" \
	"$(PATH="$tmp/bin:$PATH" $T "$INTERPOLL" interpoll-test-prog)"

# --- working directory --------------------------------------------------------

is "cwd /tmp" "/tmp" "$(cd /tmp && $T "$INTERPOLL" -- pwd)"

mkdir "$tmp/a dir"
is "cwd with a space" "$(cd "$tmp/a dir" && /bin/pwd)" \
	"$(cd "$tmp/a dir" && $T "$INTERPOLL" -- /bin/pwd)"

# --- rlimits ------------------------------------------------------------------

# interpoll raises its own RLIMIT_NOFILE soft limit to the hard limit after
# it has forked PROGRAM: PROGRAM must keep the one it was given.
is "ulimit -n 1000" "1000" \
	"$( (ulimit -n 1000 && $T "$INTERPOLL" -- sh -c 'ulimit -n') 2>&1)"

is "soft-only ulimit -n 1000 (hard limit higher)" "1000" \
	"$( (ulimit -S -n 1000 && $T "$INTERPOLL" -- sh -c 'ulimit -S -n') 2>&1)"

native=$( (ulimit -S -n 1000 && sh -c 'ulimit -H -n') 2>&1)
guest=$( (ulimit -S -n 1000 && $T "$INTERPOLL" -- sh -c 'ulimit -H -n') 2>&1)
is "hard RLIMIT_NOFILE unchanged" "$native" "$guest"

native=$( (ulimit -S -s 4096 && ulimit -c 0 && sh -c 'ulimit -a') 2>&1)
guest=$( (ulimit -S -s 4096 && ulimit -c 0 && $T "$INTERPOLL" -- sh -c 'ulimit -a') 2>&1)
is "all rlimits (ulimit -a) as natively" "$native" "$guest"

# --- umask, signal mask, ignored signals ------------------------------------

is "umask 027" "0027" "$( (umask 027 && $T "$INTERPOLL" -- sh -c umask) 2>&1)"

# interpoll blocks the signals it forwards while it runs; PROGRAM must
# start with the mask and ignored set interpoll was started with.
native=$(grep -E '^Sig(Blk|Ign):' /proc/self/status)
guest=$($T "$INTERPOLL" -- grep -E '^Sig(Blk|Ign):' /proc/self/status)
is "signal mask and ignored signals as natively" "$native" "$guest"

# The same with SIGPIPE and SIGUSR2 ignored: dispositions are inherited.
native=$(sh -c 'trap "" PIPE USR2; exec grep -E "^Sig(Blk|Ign):" /proc/self/status')
guest=$(sh -c 'trap "" PIPE USR2; exec "$0" -- grep -E "^Sig(Blk|Ign):" /proc/self/status' "$INTERPOLL")
is "ignored SIGPIPE and SIGUSR2 stay ignored" "$native" "$guest"

finish
