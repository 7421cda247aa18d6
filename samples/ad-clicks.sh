#!/bin/sh
# A stream-stream join: ad impressions and their clicks, by ad id, within
# ten-minute windows of event time; each record is tagged with the name
# of its input (-i NAME=SRC), and a window's group holding both kinds is
# a match: (ad, impression time, click time).
exec "${DSTREAM:-dstream}" -i imp="$(dirname "$0")/impressions.log" -i clk="$(dirname "$0")/clicks.log" -e '$1' -b 1m -s map '($2, (input, $1))' then groupByKeyAndWindow 10m 10m then filter 'min(value)[0] != max(value)[0]' then map '(key, max(value)[1], min(value)[1])'
