#!/bin/sh
# Unique visitors per page per hour (distinct: exact to a few in a million below about 1500 visitors).
exec "${DSTREAM:-dstream}" -e '$1' -b 1h -s -i "$(dirname "$0")/visits.log" map '($3, $2)' then reduceByKey distinct
