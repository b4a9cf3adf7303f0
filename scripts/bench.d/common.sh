# Shared by scripts/gen-data and scripts/bench. Source it after lib.sh.
# shellcheck shell=bash

GEN_BIN="${HOTLINE_GEN:-$ROOT/build/src/gen/hotline-gen}"
HOTLINE_REL="${HOTLINE_BENCH_BIN:-$ROOT/build/hotline}"

now_s() { date +%s.%N; }
# elapsed START: seconds since START (3 decimals)
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.3f", b - a }'; }

# The conninfo of database NAME on the server in use (the private cluster,
# or the user's: HOTLINE_DB / PG* variables).
db_conninfo_for() {
	local name=$1
	if external_db; then
		echo "${HOTLINE_DB:-} dbname=$name"
	else
		echo "host=$(pg_socket_dir) user=hotline dbname=$name"
	fi
}

# psql on database NAME of that server, quiet, stopping at the first error.
psql_db() {
	local name=$1; shift
	psql -X -q -v ON_ERROR_STOP=1 -d "$(db_conninfo_for "$name")" "$@"
}

db_exists() {
	psql_db postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1
}

db_create_fresh() {
	psql_db postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
		-c "CREATE DATABASE $1" >/dev/null
}

db_drop() {
	psql_db postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
}
