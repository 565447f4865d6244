#!/usr/bin/env bash
# First honest performance figures of nsd, measured on loopback only.
#
#   bash bench/first_figures.sh            # all figures, 3 runs each (~9 min on 2 cores)
#
# Figures (each run starts a fresh nsd on a fresh store):
#   1. durable ingest: blocked adapter, wrk POST /v1/jobs keep-alive, 64 conns, 2 threads, 10 s
#   2. reference ceiling: nginx (1 worker) GET of a small static JSON, same wrk settings,
#      in the same run as 1; nsd ingest as a ratio of it
#   3. delivered jobs/s: unblocked webhook adapter (concurrency 64) to nginx `location /in
#      { return 200; }`; wrk posts N jobs; /v1/stats polled until delivered_total stops growing
#   3b. (extra) delivery alone: N jobs queued while the adapter is blocked, then unblocked
#   4. RSS per live queued job: blocked adapter, N jobs, --jobs.max_live=200000, then the same
#      with --jobs.max_live=1000 (the rest rest in RocksDB)
#   5. accept latency at a lower rate: wrk with fewer connections (closed loop: indicative only)
#   6. (diagnostic) ingest by number of connections, with jobs per group commit
#
# Settings (environment): NSD (binary, default build/nsd; NSD_COMMIT labels it),
# RUNS (3), DURATION (10), CONNS (64), THREADS (2), LAT_CONNS (16), N_JOBS (100000),
# WARMUP (2 s, not measured), SWEEP_CONNS ("16 64 256"), SWEEP_SECONDS (5), DRAIN_MAX_LIVE
# (200000: --jobs.max_live of figure 3b),
# PROFILE (1: pidstat -t per thread during run 1 of figures 1-3b, thread roles from one gdb
# backtrace), FIGURES ("1 3 3b 4 5 6"; 2 always runs with 1), MAX_SECONDS (1800: the whole
# script is stopped after this), KEEP (1: keep the temp dir with every wrk/pidstat output).
#
# Needs: wrk, nginx (nginx-light), curl, jq, awk; optional: pidstat (sysstat), gdb, perf (counts
# fdatasync calls = group commits).
# Loopback only. Cleans up every process it started and its temp dir on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
NSD=${NSD:-$ROOT/build/nsd}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
LAT_CONNS=${LAT_CONNS:-16}
N_JOBS=${N_JOBS:-100000}
WARMUP=${WARMUP:-2}
PROFILE=${PROFILE:-1}
FIGURES=${FIGURES:-"1 3 3b 4 5 6"}
SWEEP_CONNS=${SWEEP_CONNS:-"16 64 256"}
SWEEP_SECONDS=${SWEEP_SECONDS:-5}
DRAIN_MAX_LIVE=${DRAIN_MAX_LIVE:-200000}
MAX_SECONDS=${MAX_SECONDS:-1800}
KEEP=${KEEP:-0}
LUA=$HERE/post_job.lua

export LC_ALL=C

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
die() { printf '[%s] ERROR: %s\n' "$(date +%T)" "$*" >&2; exit 1; }

for tool in wrk nginx curl jq awk; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y wrk nginx-light curl jq)"
done
[[ -x $NSD ]] || die "no nsd at $NSD (cmake --build build --target nsd)"
[[ -f $LUA ]] || die "no $LUA"
HAVE_PIDSTAT=0; command -v pidstat >/dev/null && HAVE_PIDSTAT=1
HAVE_GDB=0; command -v gdb >/dev/null && HAVE_GDB=1
HAVE_PERF=0
command -v perf >/dev/null && perf stat -e syscalls:sys_enter_fdatasync -- true >/dev/null 2>&1 && HAVE_PERF=1

WORK=$(mktemp -d /tmp/ns-bench.XXXXXX)
chmod 755 "$WORK" # the nginx worker (user nobody) reads the static file under it
RESULTS=$WORK/results.tsv # figure<TAB>key<TAB>run<TAB>value
: > "$RESULTS"
cd "$WORK" # nothing the script writes lands elsewhere
TOKEN=bench-admin-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

NSD_PID=""
NGINX_PID=""
WATCHDOG_PID=""
BG_PIDS=()

stop_pid() { # pid [signal]: TERM (or the given signal), wait up to 10 s, then KILL
  local pid=$1 sig=${2:-TERM} i
  [[ -n $pid ]] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local p
  for p in "${BG_PIDS[@]}"; do stop_pid "$p"; done
  stop_pid "$NSD_PID"
  stop_pid "$NGINX_PID" QUIT
  [[ -n $WATCHDOG_PID ]] && stop_pid "$WATCHDOG_PID"
  if [[ $KEEP == 1 ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Bound the whole script in time: after MAX_SECONDS the script gets SIGTERM (its children
# are bounded by `timeout` each, so the trap runs soon after).
(
  trap 'kill "$sp" 2>/dev/null; exit 0' TERM
  sleep "$MAX_SECONDS" &
  sp=$!
  wait "$sp"
  echo "watchdog: over ${MAX_SECONDS}s, stopping" >&2
  kill -TERM $$
) &
WATCHDOG_PID=$!

now() { echo "$EPOCHREALTIME"; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", ($1) }"; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RESULTS"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# median min max of the values of one key (numeric, "NA" ignored)
summary() {
  awk -F'\t' -v f="$1" -v k="$2" '$1 == f && $2 == k && $4 != "NA" { print $4 }' "$RESULTS" |
    sort -g | awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "NA NA NA 0"; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%s %s %s %d\n", m, v[1], v[NR], NR }'
}

# ---------------------------------------------------------------- nginx (reference and receiver)
start_nginx() {
  local dir=$WORK/nginx port try
  mkdir -p "$dir/www" "$dir/tmp" "$dir/logs"
  chmod -R 755 "$dir"
  # about the size of nsd's 202 answer
  printf '{"job_id":"n1-0000000000000000000000000","state":"queued","create_time":"2026-01-01T00:00:00.000Z","expire_time":"2026-01-02T00:00:00.000Z"}' \
    > "$dir/www/ref.json"
  for try in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 30000))
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && continue
    cat > "$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $dir/www;
    location = /ref.json { default_type application/json; }
    location = /in { return 200; }
    location = /nginx_status { stub_status; }
  }
}
EOF
    nginx -p "$dir" -c "$dir/nginx.conf" > "$dir/logs/stdout.log" 2>&1 &
    NGINX_PID=$!
    local i
    for ((i = 0; i < 50; i++)); do
      curl -sf -o /dev/null "http://127.0.0.1:$port/ref.json" && break
      kill -0 "$NGINX_PID" 2>/dev/null || break
      sleep 0.1
    done
    if curl -sf -o /dev/null "http://127.0.0.1:$port/ref.json"; then
      NGINX_URL=http://127.0.0.1:$port
      NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1 || true)
      log "nginx ${NGINX_URL} (master $NGINX_PID, worker ${NGINX_WORKER:-?}, 1 worker)"
      curl -sf -X POST -d '{"x":1}' -o /dev/null "$NGINX_URL/in" || die "nginx /in does not accept POST"
      return 0
    fi
    stop_pid "$NGINX_PID" QUIT
    NGINX_PID=""
  done
  cat "$dir/logs/"* >&2 || true
  die "nginx did not start"
}

nginx_requests() { # total requests nginx has handled (stub_status)
  curl -sf "$NGINX_URL/nginx_status" | awk 'NR == 3 { print $3 }'
}

# ---------------------------------------------------------------- nsd
# start_nsd NAME [nsd args...]: fresh store; sets NSD_PID, NSD_URL, NSD_DIR
start_nsd() {
  local name=$1
  shift
  NSD_DIR=$WORK/$name
  rm -rf "$NSD_DIR"
  mkdir -p "$NSD_DIR"
  "$NSD" --store.path="$NSD_DIR/store" --http.listen=127.0.0.1:0 --admin.token="$TOKEN" \
    --log.level=warning "$@" > "$NSD_DIR/nsd.log" 2>&1 &
  NSD_PID=$!
  # --log.level=warning hides the "nsd ready: URL" line; the port comes from /proc instead
  local i port=""
  for ((i = 0; i < 300; i++)); do
    kill -0 "$NSD_PID" 2>/dev/null || { cat "$NSD_DIR/nsd.log" >&2; die "nsd exited at start"; }
    port=$(ss -Hltnp 2>/dev/null | awk -v p="pid=$NSD_PID," 'index($0, p) { n = split($4, a, ":"); print a[n]; exit }')
    if [[ -n $port ]] && curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; then
      NSD_URL=http://127.0.0.1:$port
      return 0
    fi
    sleep 0.1
  done
  die "nsd not ready after 30 s"
}

stop_nsd() {
  stop_pid "$NSD_PID"
  NSD_PID=""
}

admin() { # method path [json]
  local m=$1 p=$2
  shift 2
  curl -sS --max-time 10 -X "$m" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' "$NSD_URL$p" "$@"
}

# setup_nsd BLOCKED(true|false): adapter "hook" -> nginx /in, client "bench"; sets API_KEY
setup_nsd() {
  local blocked=$1 out
  out=$(admin POST /v1/adapters -d '{"name":"hook","type":"webhook","config":{"url":"'"$NGINX_URL"'/in"},"params_schema":{"type":"object","required":["text"],"properties":{"text":{"type":"string"}}},"concurrency":64,"blocked":'"$blocked"'}')
  [[ $(jq -r .name <<< "$out") == hook ]] || die "adapter: $out"
  out=$(admin POST /v1/clients -d '{"name":"bench","adapters":"*"}')
  API_KEY=$(jq -r .api_key <<< "$out")
  [[ $API_KEY == nsk_* ]] || die "client: $out"
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Api-Key: $API_KEY" -H 'Content-Type: application/json' \
    -d '{"adapter":"hook","params":{"text":"hello"}}' "$NSD_URL/v1/jobs")
  [[ $code == 202 ]] || die "a single POST /v1/jobs answered $code"
}

stats() { admin GET /v1/stats; }
stat_field() { stats | jq -r "$1"; }

# machine CPU: "total idle" jiffies; busy_pct A B: % of all cores busy between two samples
cpu_sample() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }' /proc/stat; }
busy_pct() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
  dt = y[1] - x[1]; di = y[2] - x[2]; printf "%.0f", (dt > 0 ? 100 * (dt - di) / dt : 0) }'; }
# CPU jiffies (user+system) used by a process so far; proc_pct T0 T1 SECONDS: % of one core
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
proc_pct() { awk -v a="$1" -v b="$2" -v s="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", 100 * (b - a) / hz / s }'; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
rss_anon_kb() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }

# ---------------------------------------------------------------- wrk
# run_wrk OUT CONNS SECONDS URL MODE(post|get) [LIMIT_PER_THREAD]: foreground
run_wrk() {
  local out=$1 conns=$2 secs=$3 url=$4 mode=$5 limit=${6:-0}
  NS_API_KEY=${API_KEY:-} NS_BENCH_MODE=$mode NS_BENCH_LIMIT=$limit \
    timeout -k 5 $((secs + 30)) wrk -t"$THREADS" -c"$conns" -d"${secs}s" --timeout 10s --latency \
    -s "$LUA" "$url" > "$out" 2>&1 || { cat "$out" >&2; die "wrk failed ($out)"; }
}

# start_wrk_bg: same arguments, in the background; sets WRK_BG (the timeout process)
start_wrk_bg() {
  local out=$1 conns=$2 secs=$3 url=$4 mode=$5 limit=${6:-0}
  NS_API_KEY=${API_KEY:-} NS_BENCH_MODE=$mode NS_BENCH_LIMIT=$limit \
    timeout -k 5 $((secs + 30)) wrk -t"$THREADS" -c"$conns" -d"${secs}s" --timeout 10s --latency \
    -s "$LUA" "$url" > "$out" 2>&1 &
  WRK_BG=$!
  WRK_SEEN_THREADS=0
  BG_PIDS+=("$WRK_BG")
}

wrk_pid_of() { pgrep -P "$1" wrk | head -1 || true; } # the wrk under a `timeout`

to_ms() { # 812.00us | 6.43ms | 1.02s | 1.00m
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print "NA" }'
}

# parse_wrk OUT: sets W_RPS W_P50 W_P99 W_RESP W_2XX W_202 W_NON2XX W_CODES W_SOCKERR
parse_wrk() {
  local out=$1 line
  W_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  W_P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  W_P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  line=$(grep '^ns_lua:' "$out" || true)
  [[ -n $line ]] || { cat "$out" >&2; die "no ns_lua summary in $out"; }
  W_RESP=$(sed -n 's/.*responses=\([0-9]*\).*/\1/p' <<< "$line")
  W_2XX=$(sed -n 's/.*status_2xx=\([0-9]*\).*/\1/p' <<< "$line")
  W_202=$(sed -n 's/.*status_202=\([0-9]*\).*/\1/p' <<< "$line")
  W_NON2XX=$(sed -n 's/.*non2xx=\([0-9]*\).*/\1/p' <<< "$line")
  W_CODES=$(sed -n 's/.*codes=\(.*\)$/\1/p' <<< "$line")
  W_SOCKERR=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
  W_SOCKERR=${W_SOCKERR:-0}
  [[ -n $W_RPS ]] || { cat "$out" >&2; die "no Requests/sec in $out"; }
}

wrk_errors() { # "" when clean, else a description
  local e=""
  ((W_NON2XX > 0)) && e+="non2xx=$W_NON2XX(codes $W_CODES) "
  ((W_SOCKERR > 0)) && e+="socket_errors=$W_SOCKERR "
  echo "$e"
}

# ---------------------------------------------------------------- profiling
# thread_roles PID OUT: "tid role" lines from one gdb backtrace (idle process, ~1 s pause)
thread_roles() {
  local pid=$1 out=$2
  : > "$out"
  [[ $HAVE_GDB == 1 ]] || return 0
  timeout 60 gdb -q -batch -p "$pid" -ex "set pagination off" -ex "thread apply all bt" 2>/dev/null |
    awk '
      function flush() { if (tid != "") print tid, role }
      /^Thread [0-9]+ \(Thread / {
        flush()
        match($0, /LWP [0-9]+/); tid = substr($0, RSTART + 4, RLENGTH - 4)
        match($0, /"[^"]*"\):?$/); name = substr($0, RSTART + 1, RLENGTH - 1); sub(/".*/, "", name)
        role = name; decided = 0
        if (name ~ /^rocksdb/) { role = "rocksdb-bg(" name ")"; decided = 1 }
        else if (name == "caf.clock") { role = "caf-clock"; decided = 1 }
        else if (name == "caf.multiplexer") { role = "caf-scheduler-worker"; decided = 1 }
        next
      }
      /^#/ && !decided {
        if ($0 ~ /group_commit/) { role = "group-commit"; decided = 1 }
        else if ($0 ~ /http_client/) { role = "outbound-http(webhook)"; decided = 1 }
        else if ($0 ~ /http_server/) { role = "http-server-io"; decided = 1 }
        else if ($0 ~ /blocking_actor/) { role = "caf-detached(blocking)"; decided = 1 }
        else if ($0 ~ /private_thread/) { role = "caf-detached(job_manager?)"; decided = 1 }
        else if ($0 ~ / main \(|in main /) { role = "main(signals)"; decided = 1 }
      }
      END { flush() }' > "$out" || true
}

# start_pidstat OUT SECONDS PIDS(comma separated): per-thread CPU, 1 s samples
start_pidstat() {
  PIDSTAT_BG=""
  [[ $HAVE_PIDSTAT == 1 && $PROFILE == 1 ]] || return 0
  timeout $(($2 + 10)) pidstat -u -t -p "$3" 1 "$2" > "$1" 2>&1 &
  PIDSTAT_BG=$!
  BG_PIDS+=("$PIDSTAT_BG")
}

# report_pidstat OUT ROLES LABEL: average %CPU per thread (threads over 2 %), with roles
report_pidstat() {
  local out=$1 roles=$2 label=$3
  [[ -s $out ]] || return 0
  log "  per-thread CPU during $label (pidstat averages, % of one core; wait = runnable but waiting for a CPU):"
  awk -v rolesf="$roles" '
    BEGIN { while ((getline l < rolesf) > 0) { split(l, a, " "); role[a[1]] = a[2] } }
    $1 == "Average:" && $3 == "-" && $4 ~ /^[0-9]+$/ {
      # a thread line: Average: UID - TID %usr %system %guest %wait %CPU CPU Command
      cmd = $NF; sub(/^\|__/, "", cmd)
      r = ($4 in role) ? role[$4] : cmd
      printf "    %-8s %-28s usr %6s sys %6s wait %6s  total %6s\n", $4, r, $5, $6, $8, $9
    }
    $1 == "Average:" && $3 ~ /^[0-9]+$/ && $4 == "-" {
      printf "    process %-8s %-18s usr %6s sys %6s wait %6s  total %6s\n", $3, $NF, $5, $6, $8, $9
    }' "$out" | awk '{ t = $NF } /process/ || t + 0 >= 2' | sed 's/^/  /'
}

# Group commits: RocksDB fdatasync()s the WAL once per commit. start_fsync_count OUT SECONDS PID
# counts fdatasync+fsync calls of the process (perf tracepoints); fsync_count OUT reads the sum.
start_fsync_count() {
  FSC_BG=""
  [[ $HAVE_PERF == 1 ]] || return 0
  timeout $(($2 + 10)) perf stat -x, -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync \
    -p "$3" -- sleep "$2" > /dev/null 2> "$1" &
  FSC_BG=$!
  BG_PIDS+=("$FSC_BG")
}
wait_fsync_count() { # in the main shell, not in $(...): only the parent can wait for perf
  [[ -n ${FSC_BG:-} ]] && { wait "$FSC_BG" 2>/dev/null || true; FSC_BG=""; }
  return 0
}
fsync_count() {
  [[ -s $1 ]] || { echo NA; return 0; }
  awk -F, '$3 ~ /sys_enter_f(data)?sync/ && $1 ~ /^[0-9]+$/ { n += $1; ok = 1 } END { print ok ? n : "NA" }' "$1"
}
per_commit() { # RATE_PER_S FSYNCS SECONDS -> items per commit (or NA)
  [[ $2 == NA || $2 == 0 ]] && { echo NA; return 0; }
  calc "$1 / ($2 / $3)" 1
}

# stop_wrk_when_done: SIGINT the wrk under $WRK_BG once its worker threads have all stopped
# (each stops after its share of N): wrk would otherwise sleep out its -d duration
# (only once they have been seen: right after exec wrk has one thread, before it starts them).
# Call it in the main shell (it keeps WRK_SEEN_THREADS).
wrk_workers_done() {
  local wp=$1 n
  [[ -n $wp && -d /proc/$wp/task ]] || return 1
  n=$(ls "/proc/$wp/task" 2>/dev/null | wc -l)
  if ((n > 1)); then
    WRK_SEEN_THREADS=1
    return 1
  fi
  ((WRK_SEEN_THREADS == 1))
}

# post_n_jobs OUT: post N_JOBS jobs with wrk ($CONNS connections), foreground
post_n_jobs() {
  local out=$1 per_thread=$(((N_JOBS + THREADS - 1) / THREADS)) wp i
  start_wrk_bg "$out" "$CONNS" 120 "$NSD_URL/v1/jobs" post "$per_thread"
  wp=$(wrk_pid_of "$WRK_BG")
  for ((i = 0; i < 20 && ${#wp} == 0; i++)); do sleep 0.05; wp=$(wrk_pid_of "$WRK_BG"); done
  while kill -0 "$WRK_BG" 2>/dev/null; do
    wrk_workers_done "$wp" && kill -INT "$wp" 2>/dev/null || true
    sleep 0.1
  done
  wait "$WRK_BG" 2>/dev/null || true
}

# ================================================================ figures
log "nsd: $NSD ($("$NSD" --version 2>/dev/null || echo "?")); repo HEAD $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")${NSD_COMMIT:+; binary built from $NSD_COMMIT}"
log "machine: $(nproc) cores, load $(loadavg); runs=$RUNS duration=${DURATION}s conns=$CONNS threads=$THREADS N=$N_JOBS"
log "temp dir: $WORK ($(df -T "$WORK" | awk 'NR == 2 { print $2 " on " $1 }'))"
# what one durable write costs on this disk: 200 x 4 KiB O_DSYNC writes
fsync_ms=$(dd if=/dev/zero of="$WORK/dsync.probe" bs=4k count=200 oflag=dsync 2>&1 |
  awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") print $(i - 1) * 1000 / 200 }')
rm -f "$WORK/dsync.probe"
log "disk: one 4 KiB O_DSYNC write takes ${fsync_ms:-?} ms (dd, 200 writes)"
start_nginx

want() { [[ " $FIGURES " == *" $1 "* ]]; }

# ---- figures 1 + 2
if want 1; then
  log "== figures 1+2: durable ingest (blocked adapter) vs nginx GET ceiling, same wrk settings"
  for ((run = 1; run <= RUNS; run++)); do
    log "run $run/$RUNS (load $(loadavg))"
    prof=$((PROFILE == 1 && run == 1 ? 1 : 0))
    # alternate the order so that drift of the machine does not favour one side
    for side in $( ((run % 2)) && echo "nginx nsd" || echo "nsd nginx"); do
      if [[ $side == nginx ]]; then
        run_wrk "$WORK/f2_warm_$run.txt" "$CONNS" "$WARMUP" "$NGINX_URL/ref.json" get
        m0=$(cpu_sample); p0=$(proc_ticks "$NGINX_WORKER"); t0=$(now)
        if ((prof)); then
          start_wrk_bg "$WORK/f2_$run.txt" "$CONNS" "$DURATION" "$NGINX_URL/ref.json" get
          sleep 1
          start_pidstat "$WORK/f2_pidstat.txt" $((DURATION - 2)) "$NGINX_WORKER,$(wrk_pid_of "$WRK_BG")"
          wait "$WRK_BG" || die "wrk failed"
          [[ -n $PIDSTAT_BG ]] && { wait "$PIDSTAT_BG" || true; PIDSTAT_BG=""; }
        else
          run_wrk "$WORK/f2_$run.txt" "$CONNS" "$DURATION" "$NGINX_URL/ref.json" get
        fi
        m1=$(cpu_sample); p1=$(proc_ticks "$NGINX_WORKER"); t1=$(now)
        busy=$(busy_pct "$m0" "$m1"); ngcpu=$(proc_pct "$p0" "$p1" "$(calc "$t1 - $t0" 3)")
        record f2 machine_busy_pct "$run" "$busy"
        parse_wrk "$WORK/f2_$run.txt"
        err=$(wrk_errors)
        record f2 rps "$run" "$W_RPS"
        record f2 p50 "$run" "$W_P50"
        record f2 p99 "$run" "$W_P99"
        [[ -n $err ]] && record f2 errors "$run" 1
        NGINX_RPS=$W_RPS
        log "  nginx GET: ${W_RPS} req/s p50 ${W_P50} ms p99 ${W_P99} ms ${err:+ERRORS: $err}"
        log "    nginx worker CPU ${ngcpu} % of one core; machine ${busy} % busy"
        ((prof)) && report_pidstat "$WORK/f2_pidstat.txt" /dev/null "nginx GET"
      else
        start_nsd "f1_$run"
        setup_nsd true
        ((prof)) && thread_roles "$NSD_PID" "$WORK/nsd_roles.txt"
        run_wrk "$WORK/f1_warm_$run.txt" "$CONNS" "$WARMUP" "$NSD_URL/v1/jobs" post
        a0=$(stat_field .accepted_total)
        m0=$(cpu_sample); p0=$(proc_ticks "$NSD_PID"); t0=$(now)
        start_wrk_bg "$WORK/f1_$run.txt" "$CONNS" "$DURATION" "$NSD_URL/v1/jobs" post
        sleep 1
        start_fsync_count "$WORK/f1_fsync_$run.txt" $((DURATION - 2)) "$NSD_PID"
        if ((prof)); then
          start_pidstat "$WORK/f1_pidstat.txt" $((DURATION - 2)) "$NSD_PID,$(wrk_pid_of "$WRK_BG")"
        fi
        wait "$WRK_BG" || die "wrk failed"
        m1=$(cpu_sample); p1=$(proc_ticks "$NSD_PID"); t1=$(now)
        busy=$(busy_pct "$m0" "$m1"); nsdcpu=$(proc_pct "$p0" "$p1" "$(calc "$t1 - $t0" 3)")
        record f1 machine_busy_pct "$run" "$busy"
        record f1 nsd_cpu_pct "$run" "$nsdcpu"
        [[ -n ${PIDSTAT_BG:-} ]] && { wait "$PIDSTAT_BG" || true; PIDSTAT_BG=""; }
        sleep 0.5
        a1=$(stat_field .accepted_total)
        parse_wrk "$WORK/f1_$run.txt"
        err=$(wrk_errors)
        ((W_202 != W_RESP)) && err+="202s=$W_202/$W_RESP "
        accepted_rps=$(calc "$W_RPS * $W_202 / ($W_RESP > 0 ? $W_RESP : 1)" 1)
        wait_fsync_count
        fs=$(fsync_count "$WORK/f1_fsync_$run.txt")
        jpc=$(per_commit "$accepted_rps" "$fs" $((DURATION - 2)))
        record f1 jobs_per_commit "$run" "$jpc"
        record f1 rps "$run" "$accepted_rps"
        record f1 p50 "$run" "$W_P50"
        record f1 p99 "$run" "$W_P99"
        [[ -n $err ]] && record f1 errors "$run" 1
        NSD_RPS=$accepted_rps
        log "  nsd POST: ${accepted_rps} accepted/s (wrk saw $W_202 x 202 of $W_RESP answers; nsd accepted_total +$((a1 - a0)) in the window) p50 ${W_P50} ms p99 ${W_P99} ms ${err:+ERRORS: $err}"
        log "    nsd CPU ${nsdcpu} % of one core; machine ${busy} % busy (all $(nproc) cores, everything running); fdatasync ${fs} in $((DURATION - 2)) s -> ~${jpc} jobs per group commit"
        ((prof)) && report_pidstat "$WORK/f1_pidstat.txt" "$WORK/nsd_roles.txt" "nsd ingest"
        stop_nsd
      fi
    done
    ratio=$(calc "$NSD_RPS / $NGINX_RPS" 3)
    record f1 ratio "$run" "$ratio"
    log "  ratio nsd/nginx: $ratio"
  done
fi

# ---- figure 3
if want 3; then
  log "== figure 3: delivered jobs/s to nginx /in (unblocked adapter, concurrency 64), N=$N_JOBS"
  per_thread=$(((N_JOBS + THREADS - 1) / THREADS))
  for ((run = 1; run <= RUNS; run++)); do
    log "run $run/$RUNS (load $(loadavg))"
    prof=$((PROFILE == 1 && run == 1 ? 1 : 0))
    start_nsd "f3_$run"
    setup_nsd false
    # the setup job must be delivered before we start the clock
    for ((i = 0; i < 100; i++)); do
      [[ $(stat_field .delivered_total) -ge 1 ]] && break
      sleep 0.1
    done
    ((prof)) && thread_roles "$NSD_PID" "$WORK/nsd_roles3.txt"
    a0=$(stat_field .accepted_total)
    d0=$(stat_field .delivered_total)
    n0=$(nginx_requests)
    t0=$(now)
    start_wrk_bg "$WORK/f3_$run.txt" "$CONNS" 120 "$NSD_URL/v1/jobs" post "$per_thread"
    wrkp=$(wrk_pid_of "$WRK_BG")
    for ((i = 0; i < 20 && ${#wrkp} == 0; i++)); do sleep 0.05; wrkp=$(wrk_pid_of "$WRK_BG"); done
    if ((prof)); then
      start_pidstat "$WORK/f3_pidstat.txt" 8 "$NSD_PID,$NGINX_WORKER,$wrkp"
    fi
    # poll: stop wrk once its worker threads ended (each stops after its share of N), then
    # wait until delivered_total stops growing (3 s unchanged) or reaches accepted_total
    t_wrk_end="" t_last="" last_d=-1 t_change=$(now) wrk_done=0 deadline=$(calc "$(now) + 240" 3)
    : > "$WORK/f3_poll_$run.tsv"
    while :; do
      if ((!wrk_done)); then
        if ! kill -0 "$WRK_BG" 2>/dev/null; then
          wrk_done=1
        else
          wrk_workers_done "$wrkp" && kill -INT "$wrkp" 2>/dev/null || true
        fi
        if ((wrk_done)); then t_wrk_end=$(now); fi
      fi
      s=$(stats | jq -r '[.accepted_total, .delivered_total, .jobs.succeeded, .jobs.failed, .jobs.retrying, .jobs.queued, .jobs.running, .live_jobs, .backlog_jobs] | @tsv') ||
        { log "  /v1/stats failed"; sleep 0.2; continue; }
      tn=$(now)
      read -r acc del succ fail retr que runn live back <<< "$s"
      printf '%s\t%s\n' "$tn" "$s" >> "$WORK/f3_poll_$run.tsv"
      if ((del != last_d)); then
        last_d=$del
        t_last=$tn
        t_change=$tn
      fi
      if ((wrk_done)); then
        ((del - d0 >= acc - a0)) && break
        awk -v a="$tn" -v b="$t_change" 'BEGIN { exit !(a - b > 3) }' && break
      fi
      awk -v a="$tn" -v b="$deadline" 'BEGIN { exit !(a > b) }' && { log "  drain not finished after 240 s"; break; }
      sleep 0.1
    done
    wait "$WRK_BG" 2>/dev/null || true
    [[ -n ${PIDSTAT_BG:-} ]] && { wait "$PIDSTAT_BG" || true; PIDSTAT_BG=""; }
    parse_wrk "$WORK/f3_$run.txt"
    err=$(wrk_errors)
    n1=$(nginx_requests)
    accepted=$((acc - a0))
    delivered=$((del - d0))
    drain=$(calc "$t_last - $t0" 3)
    post_s=$(calc "$t_wrk_end - $t0" 3)
    dps=$(calc "$delivered / $drain" 1)
    ips=$(calc "$accepted / $post_s" 1)
    # stub_status counts itself: the second read adds one request
    recv=$((n1 - n0 - 1))
    polls=$(wc -l < "$WORK/f3_poll_$run.tsv")
    gap=$(awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.2f", (NR > 1 ? (b - a) / (NR - 1) : 0) }' "$WORK/f3_poll_$run.tsv")
    all_ok=no
    ((succ - 1 == accepted && fail == 0)) && all_ok=yes
    record f3 delivered_per_s "$run" "$dps"
    record f3 ingest_per_s "$run" "$ips"
    record f3 drain_s "$run" "$drain"
    record f3 p50 "$run" "$W_P50"
    record f3 p99 "$run" "$W_P99"
    [[ $all_ok == yes ]] || record f3 not_all_delivered "$run" 1
    ((accepted < N_JOBS)) && err+="SHORT RUN: accepted $accepted < N=$N_JOBS "
    [[ -n $err ]] && record f3 errors "$run" 1
    log "  accepted $accepted in ${post_s} s (${ips}/s while delivering; wrk p50 ${W_P50} ms p99 ${W_P99} ms) ${err:+ERRORS: $err}"
    log "  delivered $delivered, last delivery at +${drain} s -> ${dps} delivered jobs/s; succeeded=$((succ - 1)) failed=$fail retrying=$retr queued=$que running=$runn; nginx saw ~$recv POSTs /in; all delivered: $all_ok (stats polled every ~${gap} s)"
    ((prof)) && report_pidstat "$WORK/f3_pidstat.txt" "$WORK/nsd_roles3.txt" "ingest+delivery (first 8 s)"
    stop_nsd
  done
fi

# ---- figure 3b (extra): delivery alone, from a backlog
if want 3b; then
  log "== figure 3b (extra): delivery alone: N=$N_JOBS jobs queued while the adapter is blocked, then unblocked"
  for ((run = 1; run <= RUNS; run++)); do
    log "run $run/$RUNS (load $(loadavg))"
    prof=$((PROFILE == 1 && run == 1 ? 1 : 0))
    start_nsd "f3b_$run" --jobs.max_live="$DRAIN_MAX_LIVE"
    setup_nsd true
    post_n_jobs "$WORK/f3b_post_$run.txt"
    parse_wrk "$WORK/f3b_post_$run.txt"
    err=$(wrk_errors)
    sleep 1
    read -r acc del <<< "$(stats | jq -r '[.accepted_total, .delivered_total] | @tsv')"
    ((acc - 1 < N_JOBS)) && err+="SHORT RUN: accepted $((acc - 1)) < N=$N_JOBS "
    ((prof)) && thread_roles "$NSD_PID" "$WORK/nsd_roles3b.txt"
    n0=$(nginx_requests)
    m0=$(cpu_sample); p0=$(proc_ticks "$NSD_PID"); g0=$(proc_ticks "$NGINX_WORKER")
    t0=$(now)
    admin PATCH /v1/adapters/hook -d '{"blocked":false}' -o /dev/null
    ((prof)) && start_pidstat "$WORK/f3b_pidstat.txt" 6 "$NSD_PID,$NGINX_WORKER"
    start_fsync_count "$WORK/f3b_fsync_$run.txt" 5 "$NSD_PID"
    d_f0=$del
    t_last=$t0 last_d=$del t_change=$t0 deadline=$(calc "$t0 + 240" 3)
    : > "$WORK/f3b_poll_$run.tsv"
    while :; do
      s=$(stats | jq -r '[.delivered_total, .jobs.succeeded, .jobs.failed, .jobs.retrying, .live_jobs, .backlog_jobs] | @tsv') ||
        { sleep 0.2; continue; }
      tn=$(now)
      read -r d succ fail retr live back <<< "$s"
      printf '%s\t%s\n' "$tn" "$s" >> "$WORK/f3b_poll_$run.tsv"
      if ((d != last_d)); then last_d=$d; t_last=$tn; t_change=$tn; fi
      ((d >= acc)) && break
      awk -v a="$tn" -v b="$t_change" 'BEGIN { exit !(a - b > 3) }' && break
      awk -v a="$tn" -v b="$deadline" 'BEGIN { exit !(a > b) }' && { log "  drain not finished after 240 s"; break; }
      sleep 0.1
    done
    m1=$(cpu_sample); p1=$(proc_ticks "$NSD_PID"); g1=$(proc_ticks "$NGINX_WORKER"); t1=$(now)
    wait_fsync_count
    fs=$(fsync_count "$WORK/f3b_fsync_$run.txt")
    [[ -n ${PIDSTAT_BG:-} ]] && { wait "$PIDSTAT_BG" || true; PIDSTAT_BG=""; }
    n1=$(nginx_requests)
    drain=$(calc "$t_last - $t0" 3)
    delivered=$((last_d - del))
    dps=$(calc "$delivered / ($drain > 0 ? $drain : 1)" 1)
    secs=$(calc "$t1 - $t0" 3)
    busy=$(busy_pct "$m0" "$m1")
    gap=$(awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.2f", (NR > 1 ? (b - a) / (NR - 1) : 0) }' "$WORK/f3b_poll_$run.tsv")
    all_ok=no
    ((succ == acc && fail == 0)) && all_ok=yes
    record f3b delivered_per_s "$run" "$dps"
    record f3b nsd_cpu_pct "$run" "$(proc_pct "$p0" "$p1" "$secs")"
    [[ $all_ok == yes ]] || record f3b not_all_delivered "$run" 1
    [[ -n $err ]] && record f3b errors "$run" 1
    log "  queued $((acc - 1)) (+1 setup job) ${err:+ERRORS while posting: $err}; after unblock: delivered $delivered in ${drain} s -> ${dps} jobs/s; succeeded=$succ failed=$fail retrying=$retr live=$live backlog=$back; nginx saw $((n1 - n0 - 1)) POSTs /in; all delivered: $all_ok (poll every ~${gap} s)"
    log "    nsd CPU $(proc_pct "$p0" "$p1" "$secs") % of one core, nginx worker $(proc_pct "$g0" "$g1" "$secs") %, machine ${busy} % busy; fdatasync ${fs} in the first 5 s (~$(per_commit "$dps" "$fs" 5) deliveries per commit at the mean rate)"
    ((prof)) && report_pidstat "$WORK/f3b_pidstat.txt" "$WORK/nsd_roles3b.txt" "delivery from backlog (first 6 s)"
    stop_nsd
  done
fi

# ---- figure 4
if want 4; then
  log "== figure 4: RSS per live queued job (blocked adapter, N=$N_JOBS)"
  for ((run = 1; run <= RUNS; run++)); do
    for ml in 200000 1000; do
      log "run $run/$RUNS max_live=$ml (load $(loadavg))"
      start_nsd "f4_${ml}_$run" --jobs.max_live=$ml
      setup_nsd true
      sleep 1
      r0=$(rss_kb "$NSD_PID")
      an0=$(rss_anon_kb "$NSD_PID")
      a0=$(stat_field .accepted_total)
      post_n_jobs "$WORK/f4_${ml}_$run.txt"
      sleep 2
      r1=$(rss_kb "$NSD_PID")
      an1=$(rss_anon_kb "$NSD_PID")
      s=$(stats | jq -r '[.accepted_total, .live_jobs, .backlog_jobs] | @tsv')
      read -r acc live back <<< "$s"
      parse_wrk "$WORK/f4_${ml}_$run.txt"
      err=$(wrk_errors)
      n=$((acc - a0))
      ((n < N_JOBS)) && err+="SHORT RUN: accepted $n < N=$N_JOBS "
      per=$(calc "($r1 - $r0) * 1024 / $n" 0)
      perN=$(calc "($r1 - $r0) * 1024 / $N_JOBS" 0)
      record "f4_$ml" rss_before_mib "$run" "$(calc "$r0 / 1024" 1)"
      record "f4_$ml" rss_after_mib "$run" "$(calc "$r1 / 1024" 1)"
      record "f4_$ml" bytes_per_job "$run" "$per"
      record "f4_$ml" anon_delta_mib "$run" "$(calc "($an1 - $an0) / 1024" 1)"
      [[ -n $err ]] && record "f4_$ml" errors "$run" 1
      log "  RSS ${r0} kB -> ${r1} kB (anon ${an0} -> ${an1} kB) for $n accepted jobs: $per B/job ($perN B per $N_JOBS); live_jobs=$live backlog_jobs=$back ${err:+ERRORS: $err}"
      stop_nsd
    done
  done
fi

# ---- figure 5
if want 5; then
  log "== figure 5: accept latency with $LAT_CONNS connections (closed loop: indicative only)"
  for ((run = 1; run <= RUNS; run++)); do
    log "run $run/$RUNS (load $(loadavg))"
    start_nsd "f5_$run"
    setup_nsd true
    run_wrk "$WORK/f5_warm_$run.txt" "$LAT_CONNS" "$WARMUP" "$NSD_URL/v1/jobs" post
    run_wrk "$WORK/f5_$run.txt" "$LAT_CONNS" "$DURATION" "$NSD_URL/v1/jobs" post
    parse_wrk "$WORK/f5_$run.txt"
    err=$(wrk_errors)
    ((W_202 != W_RESP)) && err+="202s=$W_202/$W_RESP "
    record f5 rps "$run" "$W_RPS"
    record f5 p50 "$run" "$W_P50"
    record f5 p99 "$run" "$W_P99"
    [[ -n $err ]] && record f5 errors "$run" 1
    log "  $W_RPS accepted/s p50 ${W_P50} ms p99 ${W_P99} ms ${err:+ERRORS: $err}"
    stop_nsd
  done
fi

# ---- figure 6 (diagnostic): ingest vs number of connections (is 64 connections enough?)
if want 6; then
  log "== figure 6 (diagnostic): ingest by connections ${SWEEP_CONNS}, ${SWEEP_SECONDS} s each, one fresh nsd per run"
  for ((run = 1; run <= RUNS; run++)); do
    log "run $run/$RUNS (load $(loadavg))"
    start_nsd "f6_$run"
    setup_nsd true
    run_wrk "$WORK/f6_warm_$run.txt" "$CONNS" "$WARMUP" "$NSD_URL/v1/jobs" post
    for c in $SWEEP_CONNS; do
      m0=$(cpu_sample); p0=$(proc_ticks "$NSD_PID"); t0=$(now)
      start_wrk_bg "$WORK/f6_${c}_$run.txt" "$c" "$SWEEP_SECONDS" "$NSD_URL/v1/jobs" post
      sleep 1
      start_fsync_count "$WORK/f6_fsync_${c}_$run.txt" $((SWEEP_SECONDS - 2)) "$NSD_PID"
      wait "$WRK_BG" || die "wrk failed"
      m1=$(cpu_sample); p1=$(proc_ticks "$NSD_PID"); t1=$(now)
      wait_fsync_count
      fs=$(fsync_count "$WORK/f6_fsync_${c}_$run.txt")
      parse_wrk "$WORK/f6_${c}_$run.txt"
      err=$(wrk_errors)
      ((W_202 != W_RESP)) && err+="202s=$W_202/$W_RESP "
      record f6 "rps_c$c" "$run" "$W_RPS"
      record f6 "p50_c$c" "$run" "$W_P50"
      record f6 "p99_c$c" "$run" "$W_P99"
      jpc=$(per_commit "$W_RPS" "$fs" $((SWEEP_SECONDS - 2)))
      record f6 "jobs_per_commit_c$c" "$run" "$jpc"
      [[ -n $err ]] && record f6 errors "$run" 1
      log "  $c conns: $W_RPS accepted/s p50 ${W_P50} ms p99 ${W_P99} ms; nsd CPU $(proc_pct "$p0" "$p1" "$(calc "$t1 - $t0" 3)") % of one core, machine $(busy_pct "$m0" "$m1") % busy; ~${jpc} jobs per group commit ${err:+ERRORS: $err}"
    done
    stop_nsd
  done
fi

# ================================================================ summary
line() { # label figure key unit
  read -r m lo hi n <<< "$(summary "$2" "$3")"
  printf '%-46s %12s %12s %12s %4s %s\n' "$1" "$m" "$lo" "$hi" "$n" "$4"
}
errs() { awk -F'\t' -v f="$1" -v k="$2" '$1 == f && $2 == k { n++ } END { print n + 0 }' "$RESULTS"; }

echo
log "== summary (median, min, max over runs; load at end $(loadavg))"
printf '%-46s %12s %12s %12s %4s %s\n' figure median min max runs unit
if want 1; then
  line "1. durable ingest, accepted" f1 rps "jobs/s"
  line "1. ingest latency p50" f1 p50 ms
  line "1. ingest latency p99" f1 p99 ms
  line "2. nginx GET static JSON (1 worker)" f2 rps "req/s"
  line "2. nginx latency p50" f2 p50 ms
  line "2. nginx latency p99" f2 p99 ms
  line "1/2. nsd ingest / nginx (per run)" f1 ratio ratio
  line "1. nsd CPU during ingest" f1 nsd_cpu_pct "% of a core"
  line "1. jobs per group commit (fdatasync)" f1 jobs_per_commit jobs
  line "1. machine busy during ingest" f1 machine_busy_pct "% of all cores"
  line "2. machine busy during nginx" f2 machine_busy_pct "% of all cores"
  echo "   runs with errors: nsd $(errs f1 errors), nginx $(errs f2 errors)"
fi
if want 3; then
  line "3. delivered jobs/s (first accept..last delivery)" f3 delivered_per_s "jobs/s"
  line "3. ingest while delivering" f3 ingest_per_s "jobs/s"
  line "3. drain time for N" f3 drain_s s
  echo "   runs not all delivered: $(errs f3 not_all_delivered); runs with wrk errors: $(errs f3 errors)"
fi
if want 3b; then
  line "3b. delivered jobs/s from a backlog of N" f3b delivered_per_s "jobs/s"
  line "3b. nsd CPU during that drain" f3b nsd_cpu_pct "% of a core"
  echo "   runs not all delivered: $(errs f3b not_all_delivered); runs with wrk errors: $(errs f3b errors)"
fi
if want 4; then
  line "4. bytes per live job (max_live=200000)" f4_200000 bytes_per_job B
  line "4. RSS before (max_live=200000)" f4_200000 rss_before_mib MiB
  line "4. RSS after N (max_live=200000)" f4_200000 rss_after_mib MiB
  line "4. RssAnon growth (max_live=200000)" f4_200000 anon_delta_mib MiB
  line "4. bytes per job (max_live=1000)" f4_1000 bytes_per_job B
  line "4. RSS before (max_live=1000)" f4_1000 rss_before_mib MiB
  line "4. RSS after N (max_live=1000)" f4_1000 rss_after_mib MiB
  line "4. RssAnon growth (max_live=1000)" f4_1000 anon_delta_mib MiB
  echo "   runs with errors: $(errs f4_200000 errors) / $(errs f4_1000 errors)"
fi
if want 5; then
  line "5. accepted/s with $LAT_CONNS conns" f5 rps "jobs/s"
  line "5. latency p50 ($LAT_CONNS conns)" f5 p50 ms
  line "5. latency p99 ($LAT_CONNS conns)" f5 p99 ms
  echo "   runs with errors: $(errs f5 errors)"
  read -r m _ <<< "$(summary f1 rps)"
  read -r m5 _ <<< "$(summary f5 rps)"
  [[ $m != NA && $m5 != NA ]] && echo "   rate with $LAT_CONNS conns / rate with $CONNS conns (medians): $(calc "$m5 / $m" 2)"
fi
if want 6; then
  for c in $SWEEP_CONNS; do
    line "6. accepted/s with $c conns" f6 "rps_c$c" "jobs/s"
    line "6. p50 / p99 with $c conns" f6 "p50_c$c" "ms (p50)"
    line "" f6 "p99_c$c" "ms (p99)"
    line "" f6 "jobs_per_commit_c$c" "jobs per group commit"
  done
  echo "   runs with errors: $(errs f6 errors)"
fi
log "done"
