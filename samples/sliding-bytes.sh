#!/bin/sh
# Bytes sent per client over 10 minutes, every 5 minutes (reduceByKeyAndWindow).
exec "${DSTREAM:-dstream}" -e 'time($4 .. " " .. $5)' -b 1m -s -i "$(dirname "$0")/access.log" map '($1, $10)' then reduceByKeyAndWindow sum 10m 5m
