#!/bin/sh
# Word count, the "hello world" of Spark: the ten most frequent words.
exec "${DSTREAM:-dstream}" -i "$(dirname "$0")/words.txt" flatMap 'split(lower($0), /[^a-z]+/)' then filter 'x != ""' then map '(x, 1)' then reduceByKey sum then sortBy '(-value, key)' then take 10
