#!/bin/sh
# The 99th percentile of request time (ms) per endpoint per minute, from an access log whose last field is the request time in seconds (p99: within 1 %).
exec "${DSTREAM:-dstream}" -e 'time($4 .. " " .. $5)' -b 1m -s -i "$(dirname "$0")/api.log" map '($7, 1000 * num($NF))' then reduceByKey p99
