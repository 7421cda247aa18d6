#!/bin/sh
# Requests per HTTP status ($9): a file read at once is one batch.
exec "${DSTREAM:-dstream}" -i "$(dirname "$0")/access.log" map '$9' then countByValue
