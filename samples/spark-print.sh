#!/bin/sh
# Events per 5 minutes in the layout of Spark's DStream.print().
exec "${DSTREAM:-dstream}" -f spark -j -e .time -b 5m -i "$(dirname "$0")/events.jsonl" map '(.event, 1)' then reduceByKey sum
