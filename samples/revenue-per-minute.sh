#!/bin/sh
# Revenue per minute: the amounts of the purchases, summed.
exec "${DSTREAM:-dstream}" -j -e .time -b 1m -s -i "$(dirname "$0")/events.jsonl" filter '.event == "purchased"' then map '.amount' then reduce sum
