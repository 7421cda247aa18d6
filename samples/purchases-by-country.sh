#!/bin/sh
# Purchases per country: the amounts summed per user, joined with a CSV
# table of users (leftOuterJoin: a user missing from the table counts
# under "??"), and summed again per country.
exec "${DSTREAM:-dstream}" -j -i "$(dirname "$0")/events.jsonl" filter '.event == "purchased"' then map '(.user, .amount)' then reduceByKey sum then leftOuterJoin "$(dirname "$0")/users.csv" then map '(value[1].country ?? "??", value[0])' then reduceByKey sum
