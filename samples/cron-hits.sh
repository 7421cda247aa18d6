#!/bin/sh
# A cron job: requests per client over 5 minutes, every minute, with a
# checkpoint (hits.ckpt, in the current folder).  It prints the windows
# the log's last time closes and keeps the open ones: run it again and
# nothing new comes; append lines and the next run goes on; --final
# closes the rest (see CHECKPOINTS AND CRON MODE in dstream(1)).
exec "${DSTREAM:-dstream}" -e 'time($4 .. " " .. $5)' -b 1m -s -i "$(dirname "$0")/access.log" --checkpoint hits.ckpt map '($1, 1)' then reduceByKeyAndWindow sum 5m 1m
