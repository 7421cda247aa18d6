#!/bin/sh
# A stateful running total per user: what each user has spent so far,
# every 5 minutes of event time (updateStateByKey keeps it across batches;
# with --checkpoint it survives restarts too).
exec "${DSTREAM:-dstream}" -j -e .time -b 5m -s -i "$(dirname "$0")/events.jsonl" filter '.event == "purchased"' then map '(.user, .amount)' then updateStateByKey '(state ?? 0) + sum(values)'
