#!/bin/sh
# Cron mode: the access log processed by three runs as it grows (as
# cron would start them), with a checkpoint between them; the last run
# has --final.  The -o file ends as one run over the whole log would
# write it: requests per client over 5 minutes, every minute.
set -e
D=${DSTREAM:-dstream} LOG=$(dirname "$0")/access.log W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
run() {
	"$D" -e 'time($4 .. " " .. $5)' -b 1m -s -i "$W/access.log" \
	    --checkpoint "$W/ckpt" -o "$W/out.tsv" "$@" \
	    map '($1, 1)' then reduceByKeyAndWindow sum 5m 1m
}
head -n 100 "$LOG" > "$W/access.log"; run		# 10:00 .. 10:04
sed -n '101,250p' "$LOG" >> "$W/access.log"; run	# .. 10:10
sed -n '251,$p' "$LOG" >> "$W/access.log"; run --final	# the last run
cat "$W/out.tsv"
