#!/bin/sh
# Requests over the last 5 minutes, every minute: a sliding window in event time.
exec "${DSTREAM:-dstream}" -e 'time($4 .. " " .. $5)' -b 1m -s -i "$(dirname "$0")/access.log" countByWindow 5m 1m
