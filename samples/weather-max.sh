#!/bin/sh
# The highest temperature per city every 6 hours, from CSV with a header line.
exec "${DSTREAM:-dstream}" --csv --header -e '$time' -b 6h -s -i "$(dirname "$0")/weather.csv" map '($city, $temp)' then reduceByKey max
