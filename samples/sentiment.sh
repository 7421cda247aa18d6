#!/bin/sh
# Sentiment per 15 minutes: the words of each post joined with a lexicon of scored words (join lexicon.tsv), positive and negative scores summed.
exec "${DSTREAM:-dstream}" -e '$1' -b 15m -s -i "$(dirname "$0")/posts.txt" flatMap 'split(lower($0), /[^a-z]+/)' then map '(x, 1)' then join "$(dirname "$0")/lexicon.tsv" then map '(num(value[1]) > 0 ? "positive" : "negative", num(value[1]))' then reduceByKey sum
