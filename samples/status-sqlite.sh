#!/bin/sh
# Requests per minute by status into the table "status" of the SQLite file
# status.db in the current folder (created when missing; a second run
# replaces its own rows).  Prints nothing; then, for the busiest minutes:
#   sqlite3 status.db "SELECT time, sum(value) FROM status GROUP BY time ORDER BY 2 DESC LIMIT 5"
exec "${DSTREAM:-dstream}" -e 'time($4 .. " " .. $5)' -b 1m -i "$(dirname "$0")/access.log" -o 'sqlite:status.db?table=status' map '$9' then countByValue
