#!/bin/sh
# Each user's sessions in event time: events at most two minutes apart,
# each session emitted once the watermark passes its end (its last event
# plus two minutes), with its number of events and what it purchased.
exec "${DSTREAM:-dstream}" -j -e .time -w 1m -s -i "$(dirname "$0")/events.jsonl" map '(.user, .event == "purchased" ? .amount : 0)' then reduceByKeyAndSession sum 2m
