#!/bin/sh
# Products purchased, shipped and delivered per minute: the quantities of each kind of order event summed, in event time.
exec "${DSTREAM:-dstream}" -j -e .time -b 1m -s -i "$(dirname "$0")/orders.jsonl" map '(.event, .qty)' then reduceByKey sum
