#!/usr/bin/env bash
# termin's HTTP benchmarks. Usage: bench/run.sh [seconds per run, default 10]
#
# Builds a release binary, starts `termin serve` on a fresh SQLite file (and, where PostgreSQL's
# server binaries are installed, on a throwaway PostgreSQL cluster), and measures with wrk:
#   - GET /health, GET /v4/user/me (PAT), GET /v4/booking-availability (14-day window), each as
#     requests/s and as a ratio of /health measured in the same round;
#   - POST /v4/booking for non-conflicting slots, bookings/s, on SQLite and PostgreSQL.
# A shared machine is noisy, so each of those runs ROUNDS times (default 3): the table shows the
# median requests/s and the median of the rounds' ratios.
#   - GET /v4/booking-availability for a month with 10 hostIds (300 bookings each) against the
#     same call with one of them (target: at most 2x the cost).
# Then runs the slot engine benchmark. Prints one table at the end. Traffic goes to 127.0.0.1 only.
# ONLY=webhooks runs just the webhook part.
# BASELINE=<git revision> also builds that revision and runs the SQLite and PostgreSQL reads and
# bookings with it in the same run, so the two columns of a change are measured side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
CONNS=${BENCH_CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
THREADS=2
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release -q -p termin-server
BIN=$PWD/target/release/termin
NEW_BIN=$BIN
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
BASE_BIN=
if [ -n "${BASELINE:-}" ]; then
  # The other revision is exported (not checked out) and built in a target dir of its own.
  mkdir -p "$WORK/baseline"
  git archive "$BASELINE" | tar -x -C "$WORK/baseline"
  CARGO_TARGET_DIR="$PWD/target/baseline" cargo build --release -q -p termin-server \
    --manifest-path "$WORK/baseline/Cargo.toml"
  BASE_BIN=$PWD/target/baseline/release/termin
  BASE_LABEL=$(git rev-parse --short "$BASELINE")
fi

export TERMIN_RATE_LIMIT_PER_MINUTE=100000000 TERMIN_RATE_LIMIT_BURST=100000000 RUST_LOG=warn

# Starts a server on $1 (database URL); sets BASE.
start_server() {
  "$BIN" serve --listen 127.0.0.1:0 --database-url "$1" >"$WORK/serve.out" 2>"$WORK/serve.err" &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    BASE=$(sed -n 's/^termin listening on \(http[^ ]*\).*/\1/p' "$WORK/serve.out")
    [ -n "$BASE" ] && return 0
    sleep 0.1
  done
  echo "server did not start" >&2; cat "$WORK/serve.err" >&2; exit 1
}

stop_server() { kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'; }

# Seeds a company on $1; sets TOKEN, MT (a 24/7, 5-minute meeting type) and MT_DEFAULT.
seed() {
  local url=$1
  COMPANY=$("$BIN" --database-url "$url" --json company create --name Bench --owner-email owner@bench.test |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["companyId"])')
  TOKEN=$("$BIN" --database-url "$url" --json token create --user owner@bench.test --name bench |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
}

api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }

make_meeting_types() {
  local day='{"enabled":true,"hours":[{"start":"00:00","end":"24:00"}]}'
  local avail
  avail=$(api -X POST "$BASE/v4/availability" -d "{\"name\":\"always\",\"timezone\":\"UTC\",\"schedule\":{\"monday\":$day,\"tuesday\":$day,\"wednesday\":$day,\"thursday\":$day,\"friday\":$day,\"saturday\":$day,\"sunday\":$day}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  MT=$(api -X POST "$BASE/v4/meeting-type" -d "{\"meetingInfo\":{\"name\":\"Five\",\"duration\":5},\"availabilityId\":\"$avail\",\"daysIntoFuture\":{\"bookingLimit\":730}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  MT_DEFAULT=$(api "$BASE/v4/meeting-type" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
}

# Prints requests/s of a wrk run: rps URL [extra wrk args...]
rps() {
  local url=$1; shift
  wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$@" "$url" >"$WORK/wrk.txt"
  if grep -q "Non-2xx" "$WORK/wrk.txt"; then echo "non-2xx answers from $url:" >&2; cat "$WORK/wrk.txt" >&2; fi
  awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt"
}

p99() { awk '/ 99%/ {print $2}' "$WORK/wrk.txt"; }

appointments_total() {
  api "$BASE/v4/appointment/paginated?pageSize=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}

# book DAYS_AHEAD [LIMIT]: books 5-minute slots from DAYS_AHEAD on, for SECS or LIMIT bookings.
book() {
  local base_epoch=$(( ($(date +%s) / 86400 + $1) * 86400 ))
  WRK_THREADS=$THREADS BOOK_BASE_EPOCH=$base_epoch BOOK_MEETING_TYPE=$MT BOOK_TOKEN=$TOKEN BOOK_LIMIT=${2:-0} \
    wrk -t"$THREADS" -c"$CONNS" -d"${3:-${SECS}}s" --latency -s bench/book.lua "$BASE" >"$WORK/wrk.txt"
}

p50() { awk '/ 50%/ {print $2}' "$WORK/wrk.txt"; }

# bookings_per_second DAYS_AHEAD: counts the appointments one SECS-long run adds.
bookings_per_second() {
  local before after
  before=$(appointments_total)
  book "$1"
  after=$(appointments_total)
  python3 -c "print(f'{($after - $before) / $SECS:.0f}')"
}

median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.2f}")' "$@"; }
ratio() { python3 -c "print(f'{$1/$2:.3f}')"; }

# measure_reads NAME_SUFFIX URL...: ROUNDS rounds of /health then each authenticated URL; adds a
# row per URL with the median req/s and the median ratio to /health.
measure_reads() {
  local suffix=$1; shift
  local -a health=() ; local -A got=() ratios=() p99s=()
  for _ in $(seq 1 "$ROUNDS"); do
    local h; h=$(rps "$BASE/health"); health+=("$h"); p99s[health]+=" $(p99)"
    for url in "$@"; do
      local r; r=$(rps "$url" -H "Authorization: Bearer $TOKEN")
      got[$url]+=" $r"; ratios[$url]+=" $(ratio "$r" "$h")"; p99s[$url]+=" $(p99)"
    done
  done
  add_row "GET /health ($suffix)" "$(median "${health[@]}")" "1.00" "${p99s[health]##* }"
  for url in "$@"; do
    # shellcheck disable=SC2086
    local label=${url#"$BASE"}; label=${label%%\?*}
    [[ $label == */booking-availability ]] && label="$label 14d"
    add_row "GET $label ($suffix)" "$(median ${got[$url]})" "$(median ${ratios[$url]})" "${p99s[$url]##* }"
  done
}

# measure_bookings NAME_SUFFIX: ROUNDS runs, each on its own stretch of days; the median.
measure_bookings() {
  local -a runs=()
  for i in $(seq 1 "$ROUNDS"); do runs+=("$(bookings_per_second $(( 2 + (i - 1) * 90 )))"); done
  add_row "POST /v4/booking, bookings/s ($1; runs: ${runs[*]})" "$(median "${runs[@]}")" "" ""
}

rows=()
add_row() {
  rows+=("$(printf '%-60s %12s %10s %8s' "$1" "$2" "$3" "$4")")
  echo "${rows[-1]}" >&2
}

if [ "${ONLY:-}" != webhooks ]; then
# --- SQLite -------------------------------------------------------------------------------------
# sqlite_suite LABEL: reads and bookings with $BIN on a fresh SQLite file.
sqlite_suite() {
  DB="sqlite://$WORK/bench-$1.db"
  seed "$DB"
  start_server "$DB"
  make_meeting_types
  local day day14
  day=$(date -u -d '+3 days' +%F); day14=$(date -u -d '+16 days' +%F)
  measure_reads "sqlite, $1" "$BASE/v4/user/me" "$BASE/v4/booking-availability?meetingTypeId=$MT_DEFAULT&start=$day&end=$day14"
  measure_bookings "sqlite, $1"
  stop_server
}
sqlite_suite new
if [ -n "$BASE_BIN" ]; then BIN=$BASE_BIN sqlite_suite "$BASE_LABEL"; fi

# --- A team: 10 hosts ---------------------------------------------------------------------------
# team_suite LABEL: a month of bookable times for 10 hosts with 300 bookings each, against the
# same call for one of them.
team_suite() {
  DB="sqlite://$WORK/team-$1.db"
  seed "$DB"
  start_server "$DB"
  make_meeting_types
  local ids=() start end
  for i in $(seq 1 10); do
    ids+=("$("$BIN" --database-url "$DB" --json user create --company "$COMPANY" --email "host$i@bench.test" \
      --role member --timezone UTC | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')")
  done
  start=$(date -u -d '+3 days' +%F); end=$(date -u -d '+33 days' +%F)
  python3 bench/hosts.py "$BASE" "$TOKEN" "$MT" "$start" "$end" 300 "${ids[@]}"
  local all; all=$(IFS=,; echo "${ids[*]}")
  local one="$BASE/v4/booking-availability?meetingTypeId=$MT&start=$start&end=$end&hostIds=${ids[0]}"
  local ten="$BASE/v4/booking-availability?meetingTypeId=$MT&start=$start&end=$end&hostIds=$all"
  local -a r1=() r10=() costs=()
  for _ in $(seq 1 "$ROUNDS"); do
    local a b
    a=$(rps "$one" -H "Authorization: Bearer $TOKEN"); r1+=("$a")
    b=$(rps "$ten" -H "Authorization: Bearer $TOKEN"); r10+=("$b")
    costs+=("$(ratio "$a" "$b")")
  done
  add_row "GET booking-availability 30d, 1 host ($1)" "$(median "${r1[@]}")" "" ""
  add_row "GET booking-availability 30d, 10 hosts ($1; cost x 1 host)" "$(median "${r10[@]}")" "$(median "${costs[@]}")" ""
  stop_server
}
team_suite new
if [ -n "$BASE_BIN" ]; then BIN=$BASE_BIN team_suite "$BASE_LABEL"; fi

# --- PostgreSQL ---------------------------------------------------------------------------------
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ]; then
  PGDIR=$WORK/pg; mkdir -p "$PGDIR"
  RUN=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root: run it as nobody, who must be able to reach the dir.
    chmod 755 "$WORK"; chown -R nobody:nogroup "$PGDIR"
    RUN=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
  fi
  "${RUN[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust --no-sync >/dev/null
  PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${RUN[@]}" "$PGBIN/postgres" -D "$PGDIR/data" -p "$PGPORT" -k "$PGDIR" -c listen_addresses=127.0.0.1 \
    -c max_connections=200 >"$WORK/pg.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.1; done
  # pg_suite LABEL: reads and bookings with $BIN on a database of its own.
  pg_suite() {
    local dbname="bench_${1//[^a-z0-9]/_}"
    psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE $dbname" >/dev/null
    PGURL="postgres://postgres@127.0.0.1:$PGPORT/$dbname"
    seed "$PGURL"
    start_server "$PGURL"
    make_meeting_types
    measure_reads "postgres, $1" "$BASE/v4/user/me"
    measure_bookings "postgres, $1"
    stop_server
  }
  pg_suite new
  if [ -n "$BASE_BIN" ]; then BIN=$BASE_BIN pg_suite "$BASE_LABEL"; fi
fi
BIN=$NEW_BIN

fi

# --- Webhooks (SQLite) ---------------------------------------------------------------------------
# Booking latency with no webhook and with 6 subscribed, then events delivered per second for
# 10,000 bookings to the example receiver.
cargo build --release -q -p webhook-receiver
DB="sqlite://$WORK/hooks.db"
seed "$DB"
export TERMIN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true
start_server "$DB"
make_meeting_types
book 2
add_row "POST /v4/booking, no webhooks: p50 / p99" "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")" "$(p50)" "$(p99)"
RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SECRETS=""
for i in 1 2 3 4 5 6; do
  answer=$(curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -X POST "$BASE/webhooks" \
    -d "{\"endpoint\":\"http://127.0.0.1:$RPORT/hook\",\"eventTypes\":[\"booking_created\"]}")
  secret=$(echo "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])') ||
    { echo "creating a webhook failed: $answer" >&2; tail -5 "$WORK/serve.err" >&2; exit 1; }
  SECRETS="$SECRETS${SECRETS:+,}$secret"
done
WEBHOOK_SECRET=$SECRETS QUIET=1 target/release/webhook-receiver "127.0.0.1:$RPORT" >"$WORK/receiver.out" 2>&1 &
PIDS+=($!)
sleep 0.5
pre=$(appointments_total)
book 60
lat_booked=$(( $(appointments_total) - pre ))
add_row "POST /v4/booking, 6 webhooks: p50 / p99" "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")" "$(p50)" "$(p99)"
# Drain what the latency run queued, then time 10,000 bookings and their 60,000 deliveries.
received() { curl -sf "http://127.0.0.1:$RPORT/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["received"])'; }
for _ in $(seq 1 3000); do [ "$(received)" -ge $(( 6 * lat_booked )) ] && break; sleep 0.2; done
before_total=$(appointments_total)
start_received=$(received)
t0=$(date +%s.%N)
book 120 10000 90   # wrk's threads stop at 10,000 bookings; the run lasts at most 90 s
booked=$(( $(appointments_total) - before_total ))
target=$(( start_received + 6 * booked ))
for _ in $(seq 1 6000); do [ "$(received)" -ge "$target" ] && break; sleep 0.1; done
t1=$(date +%s.%N)
add_row "webhook events delivered/s ($booked bookings x 6)" \
  "$(python3 -c "print(f'{6 * $booked / ($t1 - $t0):.0f}')")" "" ""
unset TERMIN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS
stop_server

# --- Slot engine --------------------------------------------------------------------------------
engine=$(cargo bench -q -p termin-domain --bench slots 2>/dev/null | grep -i "median" || true)

echo
printf '%-60s %12s %10s %8s\n' "benchmark (${SECS}s each, $CONNS connections)" "req/s" "x /health|p50" "p99"
printf '%s\n' "${rows[@]}"
echo "$engine"
