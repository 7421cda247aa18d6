#!/usr/bin/env bats
# cli.bats - the command line: options, help, exit codes, usage errors.

load test_helper

@test "--help shows usage, every option and every operator" {
	run dstream --help
	assert_success
	assert_line --index 0 "usage: dstream [options] operator [arg ...] [then operator [arg ...]] ..."
	for opt in --input --batch --follow --event-time --time-format --watermark \
	    --late-file --idle --json --delimiter --csv --header --format --stamp \
	    --max-line --on-error --stats --from-start --max-clients --help --version; do
		assert_output --partial -- "$opt"
	done
	assert_output --partial "reduceByKeyAndWindow"
	assert_output --partial "countByValue"
}

@test "--version prints the version" {
	run dstream --version
	assert_success
	assert_output --regexp '^dstream [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "help OPERATOR shows the operator's usage and description" {
	run dstream help reduceByKey
	assert_success
	assert_line --index 0 --regexp '^usage: dstream reduceByKey FUNC'
}

@test "help with no operator lists them all" {
	run dstream help
	assert_success
	assert_line --regexp '^map '
	assert_line --regexp '^countByWindow '
}

@test "help of an unknown operator exits 2" {
	run dstream help frobnicate
	assert_failure 2
	assert_output --partial "unknown operator 'frobnicate'"
}

@test "no operator is a usage error (exit 2)" {
	run dstream
	assert_failure 2
	assert_output --partial "no operator given"
}

@test "an unknown operator is named (exit 2)" {
	run dstream map x then frobnicate
	assert_failure 2
	assert_output --partial "frobnicate"
}

@test "an unknown option is a usage error (exit 2)" {
	run dstream --frobnicate count
	assert_failure 2
	assert_output --partial "frobnicate"
}

@test "a bad duration is named (exit 2)" {
	run dstream --batch 5x count
	assert_failure 2
	assert_output --partial "--batch: bad duration '5x'"
}

@test "a bad format is named (exit 2)" {
	run dstream --format xml count
	assert_failure 2
	assert_output --partial "unknown format 'xml'"
}

@test "--on-error takes skip or fail only" {
	run dstream --on-error maybe count
	assert_failure 2
	assert_output --partial "expected skip or fail"
}

@test "an expression syntax error shows the expression and a caret (exit 2)" {
	run dstream map 'len($1'
	assert_failure 2
	assert_output --partial 'len($1'
	assert_output --regexp '\^'
}

@test "options stop at the first operator: -s after the operator is an argument" {
	run dstream map '"-s"' < /dev/null
	assert_success
	assert_output ""
}

@test "--late-file needs --event-time" {
	run dstream --late-file /dev/null count
	assert_failure 2
	assert_output --partial "--late-file needs --event-time"
}

@test "--csv and --delimiter together are refused" {
	run dstream --csv -d , count
	assert_failure 2
}

@test "--max-line rejects a bad size" {
	run dstream --max-line lots count
	assert_failure 2
	assert_output --partial "--max-line: bad size 'lots'"
}

@test "short options work as their long names" {
	run dstream -b 2s -f csv -s count < /dev/null
	assert_success
	assert_output --regexp '^[0-9TZ:.-]+,0$'
}

@test "--header with --json is refused" {
	run dstream --header -j count
	assert_failure 2
	assert_output --partial "--header does not apply to --json"
}
