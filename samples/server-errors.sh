#!/bin/sh
# Every 5xx response, parsed with clf(): time, client, request.
exec "${DSTREAM:-dstream}" -i "$(dirname "$0")/access.log" map 'clf($0)' then filter '.status >= 500' then map '(strftime(.time, "%H:%M:%S"), .ip, .method, .path)'
