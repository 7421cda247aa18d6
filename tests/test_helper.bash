# test_helper.bash - loaded by every .bats file: bats-support and
# bats-assert, `dstream` meaning the binary under test, and as_nobody.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

DSTREAM=${DSTREAM:-$BATS_TEST_DIRNAME/../dstream}
SRCDIR=${SRCDIR:-$BATS_TEST_DIRNAME/..}
export DSTREAM SRCDIR

dstream() { "$DSTREAM" "$@"; }

# as_nobody ARGS...: `run dstream ARGS` as nobody when the suite runs as
# root (root reads and writes everywhere), from a copy in $T when nobody
# cannot reach the build folder.
as_nobody() {
	if [ "$(id -u)" -ne 0 ]; then
		run dstream "$@"
		return
	fi
	local bin=$DSTREAM nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod o+x "$T"
	if ! $nobody test -x "$bin"; then
		cp "$DSTREAM" "$T/dstream"; chmod 755 "$T/dstream"
		bin=$T/dstream
	fi
	run $nobody "$bin" "$@"
}
