#!/bin/sh
# Status counts per 5 minutes as JSON lines, for jq or a database.
exec "${DSTREAM:-dstream}" -f json -e 'time($4 .. " " .. $5)' -b 5m -i "$(dirname "$0")/access.log" map '$9' then countByValue
