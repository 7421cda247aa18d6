#!/bin/sh
# The seeds' live dashboard: purchased, shipped and delivered events over
# the last 5 minutes, every minute (event time), charted at
# http://127.0.0.1:$PORT/ while the input lasts, with /metrics for
# Prometheus; the rows also go to stdout as JSON lines.  PORT defaults to
# 0 (any free port; stderr says which).  Live, from a growing file:
#   tail -F events.jsonl | dstream --serve 8080 -j -e .time -b 1m \
#       map '.event' then countByValueAndWindow 5m 1m
exec "${DSTREAM:-dstream}" --serve "${PORT:-0}" -j -e .time -b 1m -f json \
    -i "$(dirname "$0")/events.jsonl" map '.event' then countByValueAndWindow 5m 1m
