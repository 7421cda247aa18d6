#!/bin/sh
# Requests per minute by status into an SQLite table (event time), then a
# query on it with the sqlite3 shell: the five busiest minutes, and the
# 404s per minute.
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
"${DSTREAM:-dstream}" -e 'time($4 .. " " .. $5)' -b 1m -i "$(dirname "$0")/access.log" \
    -o "sqlite:$dir/stats.db?table=status" map '$9' then countByValue || exit 1
sqlite3 "$dir/stats.db" \
    "SELECT time, sum(value) FROM status GROUP BY time ORDER BY 2 DESC, 1 LIMIT 5" \
    "SELECT time, value FROM status WHERE key = '404' ORDER BY time"
