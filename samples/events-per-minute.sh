#!/bin/sh
# JSON events per minute by kind (purchased, shipped, delivered), event time.
exec "${DSTREAM:-dstream}" -j -e .time -b 1m -s -i "$(dirname "$0")/events.jsonl" map '.event' then countByValue
