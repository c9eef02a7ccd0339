# Sourced by scripts/bench: what closes the operator's loop, on the file store. Uses bench's $work, $binary,
# $duration, free_port, wait_for and run_wrk; the receiver is Tests/Support/webhook-receiver.py in the test
# virtualenv (it verifies each delivery with PyPI's standardwebhooks, as a user's receiver would), and the driver
# is scripts/lib/bench-loop.py. Nothing is pinned: capacityd, the receiver and the client share both cores.
#
#   - PATCH 200 -> the receiver's verified delivery, median and p99 over 500 changes spaced 10 ms apart;
#   - PATCH sent -> a waiting long-poll's 200 on the same instance, over 200 changes;
#   - the same two on PostgreSQL (bench-postgres.sh's throwaway server), with two instances: the PATCH through
#     one, the delivery from whichever claims it, the long-poll on the other;
#   - durable PATCH throughput and records per fdatasync with webhooks off and on (wrk, as bench's own row, in
#     three interleaved rounds, to nginx answering 204 for the receiver), at 64 connections and at 4;
#   - RSS with 10,000 long-polls waiting.

loop_pids=()
stop_loop_bench() {
    for pid in "${loop_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    loop_pids=()
}

# measure_loop_patch off|on PID PORT: one run_wrk of durable PATCHes at $connections, with the records and syncs
# the store made meanwhile.
measure_loop_patch() {
    local side="$1" pid="$2" port="$3" row records_before syncs_before records_after syncs_after
    read -r records_before syncs_before <<< "$(store_counts "$port")"
    row=$(run_wrk "PATCH, webhooks $side" "$pid" "http://127.0.0.1:$port/" "$work/patch.lua")
    read -r records_after syncs_after <<< "$(store_counts "$port")"
    printf '%s\t%s\t%d\t%d\n' "$row" "$connections" $((records_after - records_before)) $((syncs_after - syncs_before)) \
        >> "$work/loop-rounds.tsv"
}

# store_counts PORT: "RECORDS SYNCS" of the file store behind PORT, from /metrics.
store_counts() {
    curl -s "http://127.0.0.1:$1/metrics" | awk '/^capacityd_store_records_total / {r = $2} /^capacityd_store_syncs_total / {s = $2} END {print r + 0, s + 0}'
}

bench_loop() {
    local venv=.build-venv/bin/python
    if ! "$venv" -c 'import standardwebhooks' 2>/dev/null; then
        python3 -m venv .build-venv
        .build-venv/bin/pip install --quiet standardwebhooks
    fi
    local secret="whsec_$(head -c 32 /dev/urandom | base64)"
    "$venv" Tests/Support/webhook-receiver.py --secret "$secret" --log "$work/received.jsonl" > "$work/receiver.port" &
    loop_pids+=($!)
    for _ in $(seq 1 100); do [ -s "$work/receiver.port" ] && break; sleep 0.05; done
    local receiver="http://127.0.0.1:$(head -1 "$work/receiver.port")/hook"

    local port
    port=$(free_port)
    "$binary" serve --http "127.0.0.1:$port" --mode production --state-dir "$work/loop" --no-access-log \
        --max-connections 12000 --webhook-url "$receiver" --webhook-secret "$secret" 2> "$work/loop.err" &
    local pid=$!
    loop_pids+=($pid)
    wait_for "http://127.0.0.1:$port/time"
    echo
    echo "closing the loop (file store, webhooks to a verifying receiver on this machine):"
    python3 scripts/lib/bench-loop.py latency "http://127.0.0.1:$port" "$work/received.jsonl" 500
    python3 scripts/lib/bench-loop.py wake "http://127.0.0.1:$port" 200
    (ulimit -n 20000; python3 scripts/lib/bench-loop.py waiters "http://127.0.0.1:$port" 10000 "$pid")
    kill -TERM "$pid"; wait "$pid" || true

    start_postgres_server
    "$venv" Tests/Support/webhook-receiver.py --secret "$secret" --log "$work/received-pg.jsonl" > "$work/receiver-pg.port" &
    loop_pids+=($!)
    for _ in $(seq 1 100); do [ -s "$work/receiver-pg.port" ] && break; sleep 0.05; done
    local pg_receiver="http://127.0.0.1:$(head -1 "$work/receiver-pg.port")/hook"
    local pg_ports=() pg_pids=()
    for _ in 1 2; do
        port=$(free_port)
        "$binary" serve --http "127.0.0.1:$port" --mode production --database-url "$pg_url" --state-dir "$work/loop-pg-$port" \
            --no-access-log --webhook-url "$pg_receiver" --webhook-secret "$secret" 2>> "$work/loop-pg.err" &
        pg_pids+=($!); loop_pids+=($!); pg_ports+=("$port")
        wait_for "http://127.0.0.1:$port/time"
    done
    echo
    echo "closing the loop on PostgreSQL (two instances on one database, the same verifying receiver):"
    python3 scripts/lib/bench-loop.py latency "http://127.0.0.1:${pg_ports[0]}" "$work/received-pg.jsonl" 500
    python3 scripts/lib/bench-loop.py wake "http://127.0.0.1:${pg_ports[1]}" 200 "http://127.0.0.1:${pg_ports[0]}"
    kill -TERM "${pg_pids[@]}"; wait "${pg_pids[@]}" || true

    # Durable PATCH throughput, webhooks off and on, in three interleaved rounds. Both servers on core 0 with one
    # event loop (the delivery threads share that core), wrk on core 1. The receiver here is nginx answering 204 on
    # core 1, standing for a receiver on another machine: the Python one verifies slower than capacityd sends. Each
    # round ends once the outbox is empty again, so no round pays for the last one's deliveries.
    local hook_port off_port on_port off_pid on_pid
    hook_port=$(free_port)
    mkdir -p "$work/hook"
    cat > "$work/hook/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
master_process off;
pid $work/hook/nginx.pid;
error_log $work/hook/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/hook/body;
    server { listen 127.0.0.1:$hook_port; location / { return 204; } }
}
NGINX
    taskset -c 1 nginx -c "$work/hook/nginx.conf" -p "$work/hook" 2>/dev/null &
    loop_pids+=($!)
    off_port=$(free_port)
    taskset -c 0 "$binary" serve --http "127.0.0.1:$off_port" --mode production --state-dir "$work/loop-off" \
        --no-access-log --event-loops 1 2> "$work/loop-off.err" &
    off_pid=$!; loop_pids+=($off_pid)
    on_port=$(free_port)
    taskset -c 0 "$binary" serve --http "127.0.0.1:$on_port" --mode production --state-dir "$work/loop-on" \
        --no-access-log --event-loops 1 --webhook-url "http://127.0.0.1:$hook_port/hook" --webhook-secret "$secret" \
        2> "$work/loop-on.err" &
    on_pid=$!; loop_pids+=($on_pid)
    wait_for "http://127.0.0.1:$off_port/time"
    wait_for "http://127.0.0.1:$on_port/time"
    # Each round at 64 connections, where the one core is the limit, and at 4, where each PATCH waits for its
    # fdatasync and the disk sets the pace. Records and syncs are counted per run from /metrics.
    local round_seconds=$(( (duration + 4) / 5 ))
    local saved_duration="$duration" saved_connections="$connections"
    duration="$round_seconds"
    : > "$work/loop-rounds.tsv"
    for round in 1 2 3; do
        for connections in 64 4; do
            measure_loop_patch off "$off_pid" "$off_port"
            measure_loop_patch on "$on_pid" "$on_port"
            for _ in $(seq 1 600); do
                curl -s "http://127.0.0.1:$on_port/metrics" | grep -q '^capacityd_webhook_events_pending 0$' && break
                sleep 0.1
            done
        done
    done
    duration="$saved_duration"; connections="$saved_connections"
    local delivered
    delivered=$(curl -s "http://127.0.0.1:$on_port/metrics" | awk '/^capacityd_webhook_attempts_total\{result="delivered"\}/ {print $2}')
    kill -TERM "$off_pid" "$on_pid"; wait "$off_pid" "$on_pid" || true
    python3 - "$work/loop-rounds.tsv" "$delivered" <<'PY'
import statistics, sys
# name, requests/s, p50, p99, CPU µs, non-2xx, socket errors, connections, records, syncs
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
for connections in ("64", "4"):
    side = {name: [r for r in rows if r[0] == f"PATCH, webhooks {name}" and r[7] == connections] for name in ("off", "on")}
    rate = {name: statistics.median(float(r[1]) for r in side[name]) for name in side}
    per_sync = {name: sum(int(r[8]) for r in side[name]) / max(sum(int(r[9]) for r in side[name]), 1) for name in side}
    ratios = sorted(float(b[1]) / float(a[1]) for a, b in zip(side["off"], side["on"]))
    bound = "the core is the limit" if connections == "64" else "each PATCH waits for its fdatasync"
    print(f"{connections} connections ({bound}):")
    print(f"  durable PATCH, webhooks off: {rate['off']:.0f}/s, {per_sync['off']:.1f} records per fdatasync")
    print(f"  durable PATCH, webhooks on:  {rate['on']:.0f}/s, {per_sync['on']:.1f} records per fdatasync "
          f"(changes, their events and the settlements)")
    print(f"  webhooks on / off: {ratios[1]:.2f}x (rounds {ratios[0]:.2f}-{ratios[2]:.2f})")
print(f"three rounds, each waiting for an empty outbox; {sys.argv[2]} events delivered")
PY
    stop_loop_bench
}
