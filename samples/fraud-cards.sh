#!/bin/sh
# Fraud: the cards with more than 5 transactions in 10 minutes, every minute.
exec "${DSTREAM:-dstream}" -e '$1' -b 1m -s -i "$(dirname "$0")/transactions.log" map '$2' then countByValueAndWindow 10m 1m then filter 'value > 5'
