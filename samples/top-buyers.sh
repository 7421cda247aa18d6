#!/bin/sh
# The three users who spent the most, over the whole file.
exec "${DSTREAM:-dstream}" -j -i "$(dirname "$0")/events.jsonl" filter '.event == "purchased"' then map '(.user, .amount)' then reduceByKey sum then sortBy value desc then take 3
