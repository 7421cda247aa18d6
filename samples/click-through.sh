#!/bin/sh
# Click-through rate per ad over the last hour, every 5 minutes, from 30-second batches: (impressions, clicks) summed with an inverse (Spark's reduceByKeyAndWindow(func, invFunc, 3600, 300)), then clicks per 100 impressions.
exec "${DSTREAM:-dstream}" -e '$1' -b 30s -s -i "$(dirname "$0")/ads.log" map '($3, $2 == "click" ? (0, 1) : (1, 0))' then reduceByKeyAndWindow '(a[0] + b[0], a[1] + b[1])' '(a[0] - b[0], a[1] - b[1])' 1h 5m then map '(key, value[0], value[1], round(100 * value[1] / value[0], 2))'
