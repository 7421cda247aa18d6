#!/usr/bin/env bats
# layers.bats - the folders of src/ use only those below them in the
# flow (HACKING.md, "Layers and seams"): main > engine > serve >
# sources, ops > sinks > kafka > expr > state (kafka/, the URL and
# librdkafka's configuration, is shared by the Kafka source and
# destination).  A module that reaches back up the flow, or an
# include cycle between folders, fails here.

load test_helper

# allowed FOLDER: the folders FOLDER's files may include.
allowed() {
	case $1 in
	engine)  echo "serve sources ops sinks kafka expr state" ;;
	serve)   echo "sinks expr state" ;;
	sources) echo "kafka expr state" ;;
	ops)     echo "sinks expr state" ;;
	sinks)   echo "kafka expr state" ;;
	kafka)   echo "state" ;;
	expr)    echo "state" ;;
	state)   echo "" ;;
	esac
}

@test "layers: each folder of src/ includes only the folders below it" {
	bad=
	for dir in engine serve sources ops sinks kafka expr state; do
		ok=" $(allowed "$dir") "
		for f in "$SRCDIR"/src/$dir/*.[ch] "$SRCDIR"/src/$dir/*.def; do
			[ -e "$f" ] || continue
			for used in $(sed -n 's|^#include "\.\./\([a-z]*\)/.*|\1|p' "$f"); do
				case $ok in
				*" $used "*) ;;
				*) bad="$bad ${f#"$SRCDIR"/}->$used" ;;
				esac
			done
		done
	done
	[ -z "$bad" ] || { echo "upward includes:$bad"; false; }
}

@test "layers: dstream.h, shared by every folder, includes only state/" {
	run grep -E '^#include "[a-z]+/' "$SRCDIR/src/dstream.h"
	assert_success
	refute_output --regexp '#include "(engine|serve|sources|ops|sinks|expr)/'
}
