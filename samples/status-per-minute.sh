#!/bin/sh
# Requests per minute by status, in event time (the log's own timestamps).
exec "${DSTREAM:-dstream}" -e 'time($4 .. " " .. $5)' -b 1m -s -i "$(dirname "$0")/access.log" map '$9' then countByValue
