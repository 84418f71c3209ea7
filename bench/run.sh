#!/usr/bin/env bash
# termin's HTTP benchmarks. Usage: bench/run.sh [seconds per run, default 10]
#
# Builds a release binary, starts `termin serve` on a fresh SQLite file (and, where PostgreSQL's
# server binaries are installed, on a throwaway PostgreSQL cluster), and measures with wrk:
#   - GET /health, GET /v4/user/me (PAT), GET /v4/booking-availability (14-day window), each as
#     requests/s and as a ratio of /health measured in the same round;
#   - POST /v4/booking for non-conflicting slots, bookings/s, on SQLite and PostgreSQL.
# A shared machine is noisy, so each of those runs ROUNDS times (default 3): the table shows the
# median requests/s, the median of the rounds' ratios, and the median server CPU time per
# request (µs, from /proc: steadier than requests/s, which also counts the client's share).
#   - GET /v4/booking-availability for a month with 10 hostIds (300 bookings each) against the
#     same call with one of them (target: at most 2x the cost).
# Then runs the slot engine benchmark. Prints one table at the end. Traffic goes to 127.0.0.1 only.
#   - with Radicale installed: a host whose CalDAV calendar holds 5,000 events (50 of them weekly
#     series), connected: the first full sync's time (target: under 5 s), and bookable times for
#     14 days as a ratio of /health (target: at least 0.3).
#   - get_availability through MCP (POST /mcp, tools/call) against the same 14-day REST call, round
#     by round on one server (target: MCP costs at most 1.5x REST).
# ONLY=mcp runs just the MCP part; ONLY=webhooks runs just the webhook part; ONLY=team just the team; ONLY=postgres just the
# PostgreSQL part; ONLY=pages just the booking page (speed and weight); ONLY=calendars just the
# calendar part.
# BASELINE=<git revision> also builds that revision and runs the SQLite, team and PostgreSQL
# parts with it in the same run. Both builds serve at once and the reads alternate between them
# round by round, so the two rows of a change are measured under the same load.
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
# One secrets key for every server of the run (PostgreSQL requires one to be given).
TERMIN_SECRETS_KEY=$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')
export TERMIN_SECRETS_KEY

# Starts a server with $BIN on $1 (database URL); sets BASE and SPID.
start_server() {
  local log="$WORK/serve-${#PIDS[@]}"
  # shellcheck disable=SC2086
  "$BIN" serve --listen 127.0.0.1:0 --database-url "$1" ${EXTRA_SERVE_ARGS:-} >"$log.out" 2>"$log.err" &
  SPID=$!
  PIDS+=("$SPID")
  SERVE_ERR="$log.err"
  for _ in $(seq 1 100); do
    BASE=$(sed -n 's/^termin listening on \(http[^ ]*\).*/\1/p' "$log.out")
    [ -n "$BASE" ] && return 0
    sleep 0.1
  done
  echo "server did not start" >&2; cat "$log.err" >&2; exit 1
}

# stop_server [PID]: stops that server (by default the last one started).
stop_server() { local p=${1:-$SPID}; kill "$p"; wait "$p" 2>/dev/null || true; }

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

# One wrk run: rps URL [extra wrk args...]. Sets RPS to its requests/s and, with SPID set, US to
# the server's CPU time per request in microseconds (user + system, from /proc): on a shared,
# noisy machine that moves less than requests/s, which also counts the client's share.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rps() {
  local url=$1; shift
  local c0; c0=$(cpu_ticks "${SPID:-self}")
  wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$@" "$url" >"$WORK/wrk.txt"
  local c1; c1=$(cpu_ticks "${SPID:-self}")
  if grep -q "Non-2xx" "$WORK/wrk.txt"; then echo "non-2xx answers from $url:" >&2; cat "$WORK/wrk.txt" >&2; fi
  local n; n=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
  US=$(python3 -c "print(f'{($c1 - $c0) * 1e6 / $(getconf CLK_TCK) / max($n, 1):.0f}')")
  RPS=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
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

# measure_reads BACKEND LABEL...: ROUNDS rounds; in each, every labelled server (see
# `server_up`) in turn answers /health, then each of its READS. Interleaving the servers round
# by round puts the old and the new build under the same load of the shared machine. Adds a
# row per server and URL: median req/s, median ratio to /health of the same round, the last
# round's p99, and the median server CPU time per request.
measure_reads() {
  local backend=$1; shift
  local -A got=() ratios=() p99s=() cpus=()
  for _ in $(seq 1 "$ROUNDS"); do
    for label in "$@"; do
      SPID=${S_PID[$label]} TOKEN=${S_TOKEN[$label]}
      local base=${S_BASE[$label]} h r
      rps "$base/health"; h=$RPS; got[$label/health]+=" $h"; ratios[$label/health]+=" 1"
      p99s[$label/health]=$(p99); cpus[$label/health]+=" $US"
      for path in ${S_READS[$label]}; do
        rps "$base$path" -H "Authorization: Bearer $TOKEN"; r=$RPS
        got[$label$path]+=" $r"; ratios[$label$path]+=" $(ratio "$r" "$h")"
        p99s[$label$path]=$(p99); cpus[$label$path]+=" $US"
      done
    done
  done
  for label in "$@"; do
    for path in /health ${S_READS[$label]}; do
      local name=${path%%\?*}
      [[ $name == */booking-availability ]] && name="$name 14d"
      # shellcheck disable=SC2086
      add_row "GET $name ($backend, $label)" "$(median ${got[$label$path]})" \
        "$(median ${ratios[$label$path]})" "${p99s[$label$path]}" "$(median ${cpus[$label$path]})"
    done
  done
}

# server_up LABEL DATABASE_URL READS...: seeds and starts $BIN on the URL, remembers it as LABEL
# (base URL, PID, token, meeting types) with the paths measure_reads should read.
declare -A S_BASE=() S_PID=() S_TOKEN=() S_MT=() S_MT_DEFAULT=() S_READS=()
server_up() {
  local label=$1 url=$2; shift 2
  seed "$url"
  start_server "$url"
  make_meeting_types
  S_BASE[$label]=$BASE S_PID[$label]=$SPID S_TOKEN[$label]=$TOKEN S_MT[$label]=$MT
  S_MT_DEFAULT[$label]=$MT_DEFAULT
  local day day14 reads=()
  day=$(date -u -d '+3 days' +%F); day14=$(date -u -d '+16 days' +%F)
  for r in "$@"; do
    [ "$r" = availability ] && r="/v4/booking-availability?meetingTypeId=$MT_DEFAULT&start=$day&end=$day14"
    reads+=("$r")
  done
  S_READS[$label]="${reads[*]}"
}

# use_server LABEL: points BASE, SPID, TOKEN and MT (for bookings) at that server.
use_server() { BASE=${S_BASE[$1]} SPID=${S_PID[$1]} TOKEN=${S_TOKEN[$1]} MT=${S_MT[$1]}; }

# measure_bookings NAME_SUFFIX: ROUNDS runs, each on its own stretch of days; the median.
measure_bookings() {
  local -a runs=()
  for i in $(seq 1 "$ROUNDS"); do runs+=("$(bookings_per_second $(( 2 + (i - 1) * 90 )))"); done
  add_row "POST /v4/booking, bookings/s ($1; runs: ${runs[*]})" "$(median "${runs[@]}")" "" ""
}

rows=()
add_row() {
  rows+=("$(printf '%-60s %12s %10s %8s %8s' "$1" "$2" "$3" "$4" "${5:-}")")
  echo "${rows[-1]}" >&2
}

# The labels of the builds measured: the new one, and with BASELINE the old one.
LABELS=(new)
[ -n "$BASE_BIN" ] && LABELS+=("$BASE_LABEL")
bin_of() { if [ "$1" = new ]; then echo "$NEW_BIN"; else echo "$BASE_BIN"; fi; }

if [ -z "${ONLY:-}" ] || [ "${ONLY:-}" = mcp ]; then
# --- MCP ----------------------------------------------------------------------------------------
# get_availability through /mcp and the same REST call, alternating round by round on one
# server; the cost of each is its server CPU time per request (and its requests/s).
server_up mcp "sqlite://$WORK/bench-mcp.db" availability
use_server mcp
read -r rest_path <<<"${S_READS[mcp]}"
day=$(date -u -d '+3 days' +%F); day14=$(date -u -d '+16 days' +%F)
tz=$(api "$BASE/v4/user/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["timezone"])')
export MCP_TOKEN=$TOKEN
MCP_BODY=$(python3 -c "import json; print(json.dumps({'jsonrpc':'2.0','id':1,'method':'tools/call','params':{'name':'get_availability','arguments':{'meetingTypeId':'$MT_DEFAULT','start':'$day','end':'$day14','timezone':'$tz'}}}))")
export MCP_BODY
# The MCP answer carries the same times as the REST one.
curl -sf "$BASE/mcp" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' -d "$MCP_BODY" |
  python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; assert not r.get("isError"), r; assert r["structuredContent"]["slotsStartUtc"], r'
mr=() ru=() mu=() rr=() costs=()
for _ in $(seq 1 "$ROUNDS"); do
  rps "$BASE$rest_path&timezone=$tz" -H "Authorization: Bearer $TOKEN"; rr+=("$RPS"); ru+=("$US"); rest_us=$US
  rps "$BASE/mcp" -s bench/mcp.lua; mr+=("$RPS"); mu+=("$US")
  costs+=("$(ratio "$US" "$rest_us")")
done
add_row "GET booking-availability 14d, REST (sqlite)" "$(median "${rr[@]}")" "" "" "$(median "${ru[@]}")"
add_row "MCP get_availability 14d (cost x REST: $(median "${costs[@]}"))" "$(median "${mr[@]}")" "" "$(p99)" "$(median "${mu[@]}")"
stop_server
fi

if [ "${ONLY:-}" != webhooks ] && [ "${ONLY:-}" != pages ] && [ "${ONLY:-}" != calendars ] && [ "${ONLY:-}" != mcp ]; then
if [ "${ONLY:-}" != team ] && [ "${ONLY:-}" != postgres ]; then
# --- SQLite -------------------------------------------------------------------------------------
# Every build on a fresh SQLite file of its own, all running at once: reads interleaved, then
# bookings one build after the other.
for label in "${LABELS[@]}"; do
  BIN=$(bin_of "$label") server_up "$label" "sqlite://$WORK/bench-$label.db" /v4/user/me availability
done
measure_reads sqlite "${LABELS[@]}"
for label in "${LABELS[@]}"; do
  BIN=$(bin_of "$label"); use_server "$label"; measure_bookings "sqlite, $label"; stop_server
done
BIN=$NEW_BIN
# What full durability (the default: every commit on disk before it is answered) costs: the
# same bookings with the opt-in that may lose the last commits on power failure.
EXTRA_SERVE_ARGS=--sqlite-relaxed-durability server_up relaxed "sqlite://$WORK/bench-relaxed.db"
use_server relaxed; measure_bookings "sqlite, new, --sqlite-relaxed-durability"; stop_server
fi

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
  local -a r1=() r10=() costs=() u1=() u10=()
  for _ in $(seq 1 "$ROUNDS"); do
    local a b
    rps "$one" -H "Authorization: Bearer $TOKEN"; a=$RPS; r1+=("$a"); u1+=("$US")
    rps "$ten" -H "Authorization: Bearer $TOKEN"; b=$RPS; r10+=("$b"); u10+=("$US")
    costs+=("$(ratio "$a" "$b")")
  done
  add_row "GET booking-availability 30d, 1 host ($1)" "$(median "${r1[@]}")" "" "" "$(median "${u1[@]}")"
  add_row "GET booking-availability 30d, 10 hosts ($1; cost x 1 host)" "$(median "${r10[@]}")" \
    "$(median "${costs[@]}")" "" "$(median "${u10[@]}")"
  stop_server
}
if [ "${ONLY:-}" != postgres ]; then
  for label in "${LABELS[@]}"; do BIN=$(bin_of "$label") team_suite "$label"; done
fi
BIN=$NEW_BIN

# --- PostgreSQL ---------------------------------------------------------------------------------
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ "${ONLY:-}" != team ] && [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ]; then
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
  # Every build on a PostgreSQL database of its own, all running at once, as for SQLite.
  for label in "${LABELS[@]}"; do
    dbname="bench_${label//[^a-z0-9]/_}"
    psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE $dbname" >/dev/null
    BIN=$(bin_of "$label") server_up "$label" "postgres://postgres@127.0.0.1:$PGPORT/$dbname" /v4/user/me
  done
  measure_reads postgres "${LABELS[@]}"
  for label in "${LABELS[@]}"; do
    BIN=$(bin_of "$label"); use_server "$label"; measure_bookings "postgres, $label"; stop_server
  done
fi
BIN=$NEW_BIN

fi

if [ "${ONLY:-}" != team ] && [ "${ONLY:-}" != postgres ] && [ "${ONLY:-}" != pages ] && [ "${ONLY:-}" != calendars ] && [ "${ONLY:-}" != mcp ]; then
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
    { echo "creating a webhook failed: $answer" >&2; tail -5 "$SERVE_ERR" >&2; exit 1; }
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

fi

# --- The booking page (SQLite) ------------------------------------------------------------------
# The page a visitor opens: a month of free times of the default meeting type, as a ratio
# of /health in the same round (target: at least 0.3), and the page's full weight: HTML, CSS and
# script, as sent plainly and compressed (target: under 50 KB), with no request to another host.
if [ -z "${ONLY:-}" ] || [ "${ONLY:-}" = pages ]; then
  DB="sqlite://$WORK/pages.db"
  seed "$DB"
  start_server "$DB"
  make_meeting_types
  slug=$(api "$BASE/v4/user/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["slug"])')
  # The meeting type every new user gets (30 minutes, weekdays 9 to 17), as a visitor sees it.
  mt_slug=$(api "$BASE/v4/meeting-type/$MT_DEFAULT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["slug"])')
  month=$(date -u -d "$(date -u +%Y-%m-01) +1 month" +%Y-%m)
  page="$BASE/$slug/$mt_slug?tz=Europe%2FBerlin&month=$month"
  curl -sf "$page" >"$WORK/page.html"
  grep -q '<table class="month"' "$WORK/page.html" || { echo "the booking page did not render" >&2; exit 1; }
  declare -a pr=() pratios=() pu=()
  for _ in $(seq 1 "$ROUNDS"); do
    rps "$BASE/health"; h=$RPS
    rps "$page"; pr+=("$RPS"); pu+=("$US"); pratios+=("$(ratio "$RPS" "$h")")
  done
  add_row "GET booking page, a month of times (sqlite)" "$(median "${pr[@]}")" "$(median "${pratios[@]}")" "$(p99)" "$(median "${pu[@]}")"
  assets=$(grep -oE '/assets/[a-z.]+[?]v=[0-9a-f]+' "$WORK/page.html" | sort -u)
  plain=$(curl -sf "$page" | wc -c); packed=$(curl -sf --compressed -o /dev/null -w '%{size_download}' "$page")
  for a in $assets; do
    plain=$(( plain + $(curl -sf "$BASE$a" | wc -c) ))
    packed=$(( packed + $(curl -sf -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$BASE$a") ))
  done
  # Anything the page would load from elsewhere: a src, a stylesheet, or a script of another host.
  elsewhere=$(grep -oE '(src|href)="(https?:)?//[^"]*"' "$WORK/page.html" | grep -v 'rel="me' | grep -cv "$BASE" || true)
  add_row "booking page weight, bytes: plain / gzip (HTML+CSS+JS)" "$plain" "$packed" "" ""
  add_row "booking page loads from other hosts" "$elsewhere" "" "" ""
  stop_server
fi

# --- A host's own calendar: 5,000 events over CalDAV (SQLite) -----------------------------------
if { [ -z "${ONLY:-}" ] || [ "${ONLY:-}" = calendars ]; } && command -v radicale >/dev/null; then
  RDIR=$WORK/radicale; mkdir -p "$RDIR"; printf 'host:secret\n' >"$RDIR/users"
  CPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf '[server]\nhosts = 127.0.0.1:%s\n[auth]\ntype = htpasswd\nhtpasswd_filename = %s/users\nhtpasswd_encryption = plain\n[storage]\nfilesystem_folder = %s/collections\n[rights]\ntype = owner_only\n[web]\ntype = none\n[logging]\nlevel = warning\n' \
    "$CPORT" "$RDIR" "$RDIR" >"$RDIR/config"
  radicale --config "$RDIR/config" >"$RDIR/log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$CPORT/" && break; sleep 0.1; done
  CAL="http://127.0.0.1:$CPORT/host/work/"
  curl -sf -u host:secret -X MKCALENDAR "$CAL" -o /dev/null
  python3 bench/calendar_events.py 5000 >"$RDIR/events.ics"
  # One upload of the whole calendar (Radicale splits it into its 5,000 events).
  curl -sf -u host:secret -X PUT -H 'Content-Type: text/calendar' --data-binary @"$RDIR/events.ics" "$CAL" -o /dev/null
  DB="sqlite://$WORK/calendars.db"
  seed "$DB"
  TERMIN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true start_server "$DB"
  make_meeting_types
  # Connecting runs discovery and the first full sync before it answers.
  t0=$(date +%s.%N)
  conn=$(api -X POST "$BASE/v4/calendar-connections/connections" \
    -d "{\"provider\":\"caldav\",\"url\":\"http://127.0.0.1:$CPORT/\",\"username\":\"host\",\"password\":\"secret\"}")
  t1=$(date +%s.%N)
  echo "$conn" | python3 -c 'import json,sys; c=json.load(sys.stdin); assert c["sync"]["state"]=="ok", c' ||
    { echo "the calendar did not sync: $conn" >&2; exit 1; }
  add_row "connect + first full sync, 5,000 events (s)" "$(python3 -c "print(f'{$t1 - $t0:.2f}')")" "" ""
  # A change in the calendar moves its tag: the next sync reads all 5,000 again.
  conn_id=$(echo "$conn" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:one-more\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' \
    "$(date -u -d '+2 days' +%Y%m%dT060000Z)" "$(date -u -d '+2 days' +%Y%m%dT070000Z)" |
    curl -sf -u host:secret -X PUT -H 'Content-Type: text/calendar' --data-binary @- "${CAL}one-more.ics" -o /dev/null
  t0=$(date +%s.%N)
  api -X POST "$BASE/v4/calendar-connections/connections/$conn_id/sync" -o /dev/null
  t1=$(date +%s.%N)
  add_row "full sync after a change, 5,000 events (s)" "$(python3 -c "print(f'{$t1 - $t0:.2f}')")" "" ""
  t0=$(date +%s.%N)
  api -X POST "$BASE/v4/calendar-connections/connections/$conn_id/sync" -o /dev/null
  t1=$(date +%s.%N)
  add_row "sync with the tag unchanged (s)" "$(python3 -c "print(f'{$t1 - $t0:.2f}')")" "" ""
  day=$(date -u -d '+3 days' +%F); day14=$(date -u -d '+16 days' +%F)
  avail="$BASE/v4/booking-availability?meetingTypeId=$MT_DEFAULT&start=$day&end=$day14"
  declare -a cr=() cratios=() cu=()
  for _ in $(seq 1 "$ROUNDS"); do
    rps "$BASE/health"; h=$RPS
    rps "$avail" -H "Authorization: Bearer $TOKEN"; cr+=("$RPS"); cu+=("$US"); cratios+=("$(ratio "$RPS" "$h")")
  done
  add_row "GET booking-availability 14d, 5,000 calendar events" "$(median "${cr[@]}")" "$(median "${cratios[@]}")" "$(p99)" "$(median "${cu[@]}")"
  stop_server
fi

# --- Slot engine --------------------------------------------------------------------------------
engine=
if [ -z "${ONLY:-}" ]; then
  engine=$(cargo bench -q -p termin-domain --bench slots 2>/dev/null | grep -i "median" || true)
fi

echo
printf '%-60s %12s %10s %8s %8s\n' "benchmark (${SECS}s each, $CONNS connections)" "req/s" "x /health|p50" "p99" "cpu us"
printf '%s\n' "${rows[@]}"
echo "$engine"
