# Sourced by scripts/bench: what closes the operator's loop, on the file store. Uses bench's $work, $binary,
# $duration, free_port, wait_for and run_wrk; the receiver is Tests/Support/webhook-receiver.py in the test
# virtualenv (it verifies each delivery with PyPI's standardwebhooks, as a user's receiver would), and the driver
# is scripts/lib/bench-loop.py. Nothing is pinned: capacityd, the receiver and the client share both cores.
#
#   - PATCH 200 -> the receiver's verified delivery, median and p99 over 500 changes spaced 10 ms apart;
#   - PATCH sent -> a waiting long-poll's 200 on the same instance, over 200 changes;
#   - durable PATCH throughput and records per fdatasync with webhooks off and on (wrk, as bench's own row);
#   - RSS with 10,000 long-polls waiting.

loop_pids=()
stop_loop_bench() {
    for pid in "${loop_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    loop_pids=()
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

    # Durable PATCH throughput, webhooks off, then on (the receiver takes what it can; the outbox holds the rest).
    local off_port on_port
    off_port=$(free_port)
    "$binary" serve --http "127.0.0.1:$off_port" --mode production --state-dir "$work/loop-off" --no-access-log \
        --event-loops 1 2> "$work/loop-off.err" &
    pid=$!; loop_pids+=($pid)
    wait_for "http://127.0.0.1:$off_port/time"
    run_wrk "PATCH, webhooks off" "$pid" "http://127.0.0.1:$off_port/" "$work/patch.lua" > "$work/loop-off.row"
    kill -TERM "$pid"; wait "$pid" || true
    on_port=$(free_port)
    "$binary" serve --http "127.0.0.1:$on_port" --mode production --state-dir "$work/loop-on" --no-access-log \
        --event-loops 1 --webhook-url "$receiver" --webhook-secret "$secret" 2> "$work/loop-on.err" &
    pid=$!; loop_pids+=($pid)
    wait_for "http://127.0.0.1:$on_port/time"
    run_wrk "PATCH, webhooks on" "$pid" "http://127.0.0.1:$on_port/" "$work/patch.lua" > "$work/loop-on.row"
    kill -TERM "$pid"; wait "$pid" || true
    python3 - "$work/loop-off.row" "$work/loop-on.row" "$work/loop-off.err" "$work/loop-on.err" <<'PY'
import re, sys
def rps(path): return float(open(path).read().split("\t")[1])
def per_sync(path):
    text = open(path).read()
    records, syncs = re.search(r"records (\d+)", text), re.search(r"syncs (\d+)", text)
    return int(records.group(1)) / max(int(syncs.group(1)), 1) if records and syncs else float("nan")
off, on = rps(sys.argv[1]), rps(sys.argv[2])
print(f"durable PATCH, webhooks off: {off:.0f}/s, {per_sync(sys.argv[3]):.1f} records per fdatasync")
print(f"durable PATCH, webhooks on:  {on:.0f}/s, {per_sync(sys.argv[4]):.1f} records per fdatasync "
      f"(a change and its event each a record): {on / off:.2f}x off")
PY
    stop_loop_bench
}
