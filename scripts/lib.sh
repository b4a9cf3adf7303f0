# Shared by scripts/run, scripts/test and scripts/pg. Source it; do not run it.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HOTLINE_ROOT="$ROOT"

# Debian packages, by what needs them.
PACKAGES_BUILD="meson ninja-build pkg-config gcc libc6-dev libpq-dev libmicrohttpd-dev
  libjson-c-dev libpcre2-dev libsodium-dev libcmocka-dev libcurl4-openssl-dev libxml2-dev python3"
PACKAGES_RUN="postgresql postgresql-contrib tzdata"
# Browser tests: Debian's Chromium driven by playwright-core (npm), and a
# CJK font so that screenshots show the Chinese pages. wrk drives the HTTP
# load of scripts/bench (pgbench, its baseline, comes with PostgreSQL). Node.js and npm are
# installed only when missing (a machine may have them from elsewhere).
PACKAGES_TEST="chromium fonts-wqy-microhei wrk python3-jsonschema"
ensure_node() {
	command -v node >/dev/null && command -v npm >/dev/null && return 0
	ensure_packages nodejs npm
}

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ensure_packages PKG...: installs the packages that are missing; silent when
# all are present.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
			|| missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing Debian packages: ${missing[*]}"
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "missing packages (${missing[*]}) and no sudo: install them as root"
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >/dev/null || die "apt-get update failed"
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
		|| die "apt-get install ${missing[*]} failed"
}

# build DIR [MESON OPTIONS...]: configures DIR once, then compiles.
build() {
	local dir=$1; shift
	if [ ! -f "$ROOT/$dir/build.ninja" ]; then
		meson setup "$ROOT/$dir" "$ROOT" "$@" >"$ROOT/.meson-setup.log" 2>&1 \
			|| { tail -n 20 "$ROOT/.meson-setup.log" >&2; rm -rf "$ROOT/$dir"; die "meson setup $dir failed"; }
		rm -f "$ROOT/.meson-setup.log"
	fi
	meson compile -C "$ROOT/$dir" >/dev/null 2>"$ROOT/$dir/compile.log" \
		|| { cat "$ROOT/$dir/compile.log" >&2; ninja -C "$ROOT/$dir" >&2; die "build failed"; }
}

# The shared 110 secret of this installation: 32 random bytes made on the
# first run and kept in var/police-secret (mode 0600), never a well-known
# default that anyone could sign 警单 with.
police_secret() {
	local f="$ROOT/var/police-secret"
	if [ ! -s "$f" ]; then
		mkdir -p "$ROOT/var"
		(umask 077 && od -An -vtx1 -N32 /dev/urandom | tr -d ' \n' >"$f.tmp" && mv "$f.tmp" "$f")
	fi
	cat "$f"
}

# --- the private PostgreSQL cluster --------------------------------------

pg_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || die "PostgreSQL server binaries not found (package postgresql)"
	echo "$d"
}

# The cluster lives in var/pg (data in var/pg/data, socket in var/pg). As
# root the server runs as the postgres user, which must own the directory;
# where postgres cannot reach var/pg (a home directory closed to others) or
# the socket path would be too long, var/pg is a link to a directory in /tmp.
PG_DIR="${HOTLINE_PG_DIR:-$ROOT/var/pg}"

as_pg_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

pg_prepare_dir() {
	mkdir -p "$(dirname "$PG_DIR")"
	if [ -e "$PG_DIR/data/PG_VERSION" ]; then
		return 0
	fi
	local target="$PG_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		mkdir -p "$PG_DIR"
		chown postgres:postgres "$PG_DIR"
		if ! runuser -u postgres -- test -w "$PG_DIR" || [ ${#PG_DIR} -gt 80 ]; then
			target="/tmp/hotline-pg-$(printf '%s' "$PG_DIR" | md5sum | cut -c1-12)"
			rmdir "$PG_DIR" 2>/dev/null || true
			mkdir -p "$target"
			chown postgres:postgres "$target"
			ln -sfn "$target" "$PG_DIR"
		fi
	else
		mkdir -p "$PG_DIR"
		if [ ${#PG_DIR} -gt 80 ]; then
			target="/tmp/hotline-pg-$(id -u)-$(printf '%s' "$PG_DIR" | md5sum | cut -c1-12)"
			rmdir "$PG_DIR" 2>/dev/null || true
			mkdir -p "$target"
			ln -sfn "$target" "$PG_DIR"
		fi
	fi
}

pg_socket_dir() { readlink -f "$PG_DIR"; }

pg_initdb() {
	local bin sock
	bin=$(pg_bindir)
	pg_prepare_dir
	[ -e "$PG_DIR/data/PG_VERSION" ] && return 0
	sock=$(pg_socket_dir)
	say "creating a private PostgreSQL cluster in $PG_DIR"
	as_pg_owner "$bin/initdb" -D "$sock/data" -U hotline -E UTF8 --locale=C.UTF-8 \
		--auth-local=peer --auth-host=scram-sha-256 >"$sock/initdb.log" 2>&1 \
		|| { cat "$sock/initdb.log" >&2; die "initdb failed"; }
	cat >>"$sock/data/postgresql.conf" <<CONF

# hotline: a private cluster reached only through its Unix socket
listen_addresses = ''
unix_socket_directories = '$sock'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 256MB
CONF
}

# pg_secure: who may connect to the private cluster. The socket directory
# is the server owner's alone (mode 0700: as root, the postgres user's,
# which root still reaches), and a connection over the socket is let in
# by peer authentication only for the system user running these scripts
# (and the server's own), as the database user hotline. Rewritten on every
# start, so a cluster created with the old `trust` setting is closed too.
pg_secure() {
	local sock data runner
	sock=$(pg_socket_dir)
	data="$sock/data"
	runner=$(id -un)
	chmod 0700 "$sock"
	as_pg_owner sh -c "cat >'$data/pg_hba.conf'" <<HBA
# hotline (scripts/lib.sh pg_secure): Unix socket only, peer authentication
# through the map "hotline" of pg_ident.conf; nothing over TCP.
local all all peer map=hotline
HBA
	as_pg_owner sh -c "cat >'$data/pg_ident.conf'" <<IDENT
# MAPNAME SYSTEM-USERNAME PG-USERNAME
hotline $runner hotline
hotline $(as_pg_owner id -un) hotline
IDENT
}

pg_running() {
	local bin
	bin=$(pg_bindir)
	[ -e "$PG_DIR/data/PG_VERSION" ] && as_pg_owner "$bin/pg_ctl" -D "$(pg_socket_dir)/data" status >/dev/null 2>&1
}

pg_start() {
	local bin sock
	bin=$(pg_bindir)
	pg_initdb
	sock=$(pg_socket_dir)
	pg_secure
	if ! pg_running; then
		rm -f "$sock/postmaster.pid.stale"
		as_pg_owner "$bin/pg_ctl" -D "$sock/data" -l "$sock/server.log" -w -t 60 start >/dev/null \
			|| { tail -n 20 "$sock/server.log" >&2; die "PostgreSQL did not start"; }
	else
		as_pg_owner "$bin/pg_ctl" -D "$sock/data" reload >/dev/null
	fi
	psql_private -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'hotline'" | grep -q 1 \
		|| psql_private -d postgres -qc "CREATE DATABASE hotline" >/dev/null
}

pg_stop() {
	local bin
	bin=$(pg_bindir)
	pg_running || return 0
	as_pg_owner "$bin/pg_ctl" -D "$(pg_socket_dir)/data" -m fast -w stop >/dev/null
}

psql_private() {
	psql -X -h "$(pg_socket_dir)" -U hotline "$@"
}

# True when the user pointed us at their own PostgreSQL.
external_db() {
	[ -n "${HOTLINE_DB:-}" ] || [ -n "${PGHOST:-}${PGHOSTADDR:-}${PGDATABASE:-}${PGSERVICE:-}${PGPORT:-}" ]
}
