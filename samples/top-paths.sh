#!/bin/sh
# The five most requested paths ($7), most first, ties by path.
exec "${DSTREAM:-dstream}" -i "$(dirname "$0")/access.log" map '$7' then countByValue then sortBy '(-value, key)' then take 5
