#!/usr/bin/env bash
# What a rate limiter shared by all nodes through PostgreSQL would cost per request: pgbench
# runs the token-bucket statement such a limiter needs (one upsert per request) against a
# throwaway cluster, beside the one indexed read an authenticated request already makes.
#
#   bench/shared-limiter.sh [SECONDS]      (default 10 per case)
#
# Cases: the read; the upsert on a logged table with synchronous_commit on (what every write
# of termin gets); the same on an UNLOGGED table with synchronous_commit off (the cheapest a
# shared limiter could honestly be: buckets may reset on a crash).
set -euo pipefail
secs=${1:-10}
bin=${TERMIN_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)}
dir=$(mktemp -d)
RUN=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root: run it as nobody, who must be able to reach the dir.
  chmod 755 "$dir"; chown nobody:nogroup "$dir"
  RUN=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi
trap '"${RUN[@]}" "$bin/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
"${RUN[@]}" "$bin/initdb" -D "$dir/data" -U bench --auth=trust >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${RUN[@]}" "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1" -l "$dir/log" start >/dev/null
psql() { "$bin/psql" -h 127.0.0.1 -p "$port" -U bench -d postgres -qAt "$@"; }
for _ in $(seq 50); do psql -c 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
psql <<'SQL'
CREATE TABLE creds (id uuid PRIMARY KEY, user_id uuid NOT NULL, hash text NOT NULL UNIQUE);
INSERT INTO creds SELECT gen_random_uuid(), gen_random_uuid(), md5(i::text) FROM generate_series(1, 10000) i;
CREATE TABLE buckets (key text PRIMARY KEY, tokens double precision NOT NULL, updated timestamptz NOT NULL);
CREATE UNLOGGED TABLE buckets_unlogged (LIKE buckets INCLUDING ALL);
SQL
mkdir -p "$dir/scripts"; chmod 755 "$dir/scripts"
cat >"$dir/scripts/read.sql" <<'SQL'
\set n random(1, 10000)
SELECT user_id FROM creds WHERE hash = md5(:n::text);
SQL
for table in buckets buckets_unlogged; do
cat >"$dir/scripts/$table.sql" <<SQL
\set n random(1, 10000)
INSERT INTO $table AS b (key, tokens, updated) VALUES ('pat:' || :n, 199, now())
ON CONFLICT (key) DO UPDATE SET
  tokens = LEAST(200, b.tokens + EXTRACT(EPOCH FROM now() - b.updated) * 100 / 60.0) - 1,
  updated = now()
RETURNING tokens >= 0;
SQL
done
run() { # label, script, clients, extra options
  local out
  out=$(PGOPTIONS="$4" "$bin/pgbench" -h 127.0.0.1 -p "$port" -U bench -n -T "$secs" -c "$3" -j "$3" -f "$dir/scripts/$2" postgres 2>&1)
  printf '%-44s clients %-2s %10s tps  %8s ms/request\n' "$1" "$3" \
    "$(grep -o 'tps = [0-9.]*' <<<"$out" | head -n1 | cut -d' ' -f3)" \
    "$(grep -o 'latency average = [0-9.]*' <<<"$out" | cut -d' ' -f4)"
}
for clients in 1 8; do
  run "read (what a request already does)" read.sql "$clients" ""
  run "bucket upsert, logged, synchronous_commit on" buckets.sql "$clients" ""
  run "bucket upsert, unlogged, synchronous_commit off" buckets_unlogged.sql "$clients" "-c synchronous_commit=off"
done
