# pg_helper.bash - a throwaway PostgreSQL server for Bats: initdb and
# pg_ctl on a Unix socket in a temporary folder (no TCP), as the user
# nobody when the suite runs as root (PostgreSQL refuses to run as root),
# trust authentication, database encoding UTF8.  pg_start in setup_file,
# pg_stop in teardown_file (always; a stop is bounded and ends with
# SIGKILL of the postmaster if need be).  psql_q runs a query and prints
# the rows unaligned, fields separated by |.
#
# Sets PGDIR (data), PGSOCK (socket folder), PGPORT, and PGURI, a libpq
# URI for dstream (user postgres, database postgres, over the socket).

PG_TIMEOUT=${PG_TIMEOUT:-30}

pg_bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}

# pg_as CMD...: runs CMD as the server's owner.
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

# pg_start: a server of its own for this Bats file; skips the file's
# tests when PostgreSQL is not installed, or dstream is built without it.
pg_start() {
	PGBIN=$(pg_bindir)
	if [ -z "$PGBIN" ]; then
		skip "PostgreSQL is not installed (Debian: postgresql)"
	fi
	PGBASE=$(mktemp -d /tmp/dstream-pg.XXXXXX)
	PGDIR=$PGBASE/data
	PGSOCK=$PGBASE/sock
	PGPORT=$((30000 + RANDOM % 20000))
	mkdir -p "$PGSOCK"
	chmod 755 "$PGBASE"
	[ "$(id -u)" -eq 0 ] && chown 65534:65534 "$PGBASE" "$PGSOCK"
	pg_as "$PGBIN/initdb" -D "$PGDIR" -U postgres -A trust -E UTF8 \
	    --locale=C.UTF-8 -N >"$PGBASE/initdb.log" 2>&1 ||
	    { cat "$PGBASE/initdb.log" >&2; return 1; }
	pg_ctl_start
	PGURI="postgresql:///postgres?host=$PGSOCK&port=$PGPORT&user=postgres"
	export PGBIN PGBASE PGDIR PGSOCK PGPORT PGURI
}

# pg_ctl_start: starts (or restarts after pg_ctl_stop) the server; waits
# at most PG_TIMEOUT seconds.
pg_ctl_start() {
	pg_as "$PGBIN/pg_ctl" -D "$PGDIR" -l "$PGBASE/server.log" -w \
	    -t "$PG_TIMEOUT" -o "-k $PGSOCK -p $PGPORT -c listen_addresses= -c fsync=off -c max_connections=20 -c shared_buffers=16MB" \
	    start >/dev/null 2>&1 || { tail -20 "$PGBASE/server.log" >&2; return 1; }
}

# pg_ctl_stop [MODE]: stops the server (fast by default), bounded.
pg_ctl_stop() {
	pg_as "$PGBIN/pg_ctl" -D "$PGDIR" -m "${1:-fast}" -w -t "$PG_TIMEOUT" \
	    stop >/dev/null 2>&1
}

# pg_stop: stops the server for good and removes its files.
pg_stop() {
	[ -n "${PGDIR:-}" ] || return 0
	if [ -f "$PGDIR/postmaster.pid" ]; then
		pg_ctl_stop immediate || {
			kill -KILL "$(head -1 "$PGDIR/postmaster.pid")" 2>/dev/null
			true
		}
	fi
	rm -rf "$PGBASE"
}

# psql_q SQL: the rows of SQL, fields separated by |.
psql_q() {
	"$PGBIN/psql" -X -q -A -t -h "$PGSOCK" -p "$PGPORT" -U postgres \
	    -d postgres -v ON_ERROR_STOP=1 -c "$1"
}
