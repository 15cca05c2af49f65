#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests, from Debian's packages: a data folder of its
# own, listening on a loopback port, trusting local connections. Prints the URL of a database the
# tests may create other databases from (the role may create databases).
#
#   tests/support/postgres.sh start DIR [PORT]   # prints postgres://skl@127.0.0.1:PORT/skl
#   tests/support/postgres.sh stop DIR
#
# For the tests, the cluster trades durability for speed (fsync off). With SKL_PG_DURABLE=1 it keeps
# PostgreSQL's defaults (fsync, synchronous commit), as benchmarks want it.
set -euo pipefail

command=${1:?start or stop}
dir=${2:?a folder for the cluster}
port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

# PostgreSQL refuses to run as root: the cluster belongs to the `postgres` account when there is one.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$command" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    if [ ! -f "$dir/PG_VERSION" ]; then
        as_owner "$bin/initdb" --pgdata="$dir" --auth=trust --username=postgres \
            --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${SKL_PG_DURABLE:-}" = 1 ] && fast=""
    as_owner "$bin/pg_ctl" --pgdata="$dir" --log="$dir/server.log" --wait \
        --options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
                   $fast -c max_connections=400 -c shared_buffers=128MB" start >/dev/null
    psql="$bin/psql -h 127.0.0.1 -p $port -U postgres -d postgres -v ON_ERROR_STOP=1 -q"
    if ! $psql -tAc "select 1 from pg_roles where rolname = 'skl'" | grep -q 1; then
        $psql -c "create role skl login createdb"
        $psql -c "create database skl owner skl"
    fi
    echo "postgres://skl@127.0.0.1:$port/skl"
    ;;
stop)
    as_owner "$bin/pg_ctl" --pgdata="$dir" --mode=fast stop >/dev/null
    ;;
*)
    echo "usage: $0 start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
