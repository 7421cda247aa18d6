# test_helper.bash - loaded by every .bats file: bats-support and
# bats-assert, and `dstream` meaning the binary under test.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

DSTREAM=${DSTREAM:-$BATS_TEST_DIRNAME/../dstream}
SRCDIR=${SRCDIR:-$BATS_TEST_DIRNAME/..}
export DSTREAM SRCDIR

dstream() { "$DSTREAM" "$@"; }
