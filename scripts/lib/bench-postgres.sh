# Sourced by scripts/bench: the PostgreSQL store's figures beside pgbench, on a throwaway PostgreSQL 15 server
# with fsync and synchronous_commit on. Uses bench's $work, $binary, $duration, $connections, free_port,
# wait_for and run_wrk. Nothing is pinned here: PostgreSQL, capacityd and the load share both cores, as they
# would on one small host; pgbench gets the same two cores.
#
# The reference is pgbench running the single-row update that a PATCH makes (new desired capacity, status,
# revision from the sequence, RETURNING the row) on capacityd's own table, 64 clients, prepared statements, one
# commit per transaction. capacityd answers the same load from 64 HTTP connections, and may group the updates
# that arrive together into one statement and one commit.

pg_bin=/usr/lib/postgresql/15/bin
pg_dir=""
pg_instances=()

# Runs a PostgreSQL server command as `nobody` when root (PostgreSQL refuses to run as root).
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

pg_sql() { "$pg_bin/psql" -h "$pg_dir" -U postgres -d capacityd -X -At -v ON_ERROR_STOP=1 -c "$1"; }

# "WAL flushes<TAB>commits" so far. The statistics of a session reach the shared counters within a second of
# its last transaction, so wait before reading them.
wal_counters() {
    sleep 1.2
    pg_sql "SELECT (SELECT wal_sync FROM pg_stat_wal) || E'\t' || (SELECT xact_commit FROM pg_stat_database WHERE datname = 'capacityd')"
}

# pg_row NAME REQS_PER_S P50 P99 BEFORE AFTER: one row of the PostgreSQL table.
pg_row() {
    python3 - "$@" <<'PY'
import sys
name, rps, p50, p99, before, after = sys.argv[1:7]
syncs0, commits0 = map(int, before.split("\t"))
syncs1, commits1 = map(int, after.split("\t"))
syncs, commits = syncs1 - syncs0, commits1 - commits0
print(f"{name}\t{rps}\t{p50}\t{p99}\t{commits}\t{syncs}\t{commits / max(syncs, 1):.1f}")
PY
}

stop_postgres_bench() {
    for pid in "${pg_instances[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -n "$pg_dir" ] && as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
}

# start_instance PORT: a capacityd on the database, production mode (a GET reads, a PATCH writes).
start_instance() {
    "$binary" serve --http "127.0.0.1:$1" --database-url "$pg_url" --mode production --no-access-log \
        --state-dir "$work/pg-state-$1" 2>> "$work/capacityd-pg.err" &
    pg_instances+=($!)
    wait_for "http://127.0.0.1:$1/time"
}

# The throwaway server and its migrated capacityd database, once: $pg_url names it.
start_postgres_server() {
    [ -n "$pg_dir" ] && return
    pg_dir="$work/pg"
    mkdir -p "$pg_dir"
    chmod 755 "$work"
    [ "$(id -u)" -eq 0 ] && chown nobody: "$pg_dir"
    as_postgres "$pg_bin/initdb" -D "$pg_dir/data" --no-locale -E UTF8 -U postgres --auth=trust >/dev/null
    as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -w -l "$pg_dir/log" \
        -o "-k $pg_dir -c listen_addresses='' -c max_connections=200" start >/dev/null
    "$pg_bin/psql" -h "$pg_dir" -U postgres -d postgres -X -q -c "CREATE DATABASE capacityd"
    pg_url="postgresql:///capacityd?host=$pg_dir&user=postgres"
    "$binary" db migrate --database-url "$pg_url" >/dev/null
}

bench_postgres() {
    start_postgres_server
    pg_sql "INSERT INTO capacityd_dimensions (id, revision, version, resource_name, dimension_name, actual_capacity,
                desired_capacity, scaling_status)
            SELECT 'pg-' || i, nextval('capacityd_revisions'), 'MyVersion', 'MyService', 'MyDimension', 1, 1, 'Successful'
            FROM generate_series(0, 255) AS i" >/dev/null

    local table="$work/postgres.tsv"
    printf 'run\treq/s\tp50 ms\tp99 ms\tcommits\tWAL flushes\tcommits/flush\n' > "$table"

    cat > "$work/update.sql" <<'SQL'
\set i random(0, 255)
\set v random(1, 1000)
UPDATE capacityd_dimensions SET desired_capacity = :v::float8, scaling_status = 'Pending', revision = nextval('capacityd_revisions'), updated_at = now() WHERE id = 'pg-' || :i RETURNING *;
SQL
    local before after output
    before=$(wal_counters)
    output=$("$pg_bin/pgbench" -h "$pg_dir" -U postgres -n -M prepared -c "$connections" -j 1 -T "$duration" \
        -f "$work/update.sql" capacityd 2>&1)
    after=$(wal_counters)
    local tps latency
    tps=$(echo "$output" | awk '/^tps = / {printf "%.0f", $3}')
    latency=$(echo "$output" | awk '/^latency average = / {print $4}')
    pg_row "pgbench UPDATE (one commit each)" "$tps" "avg $latency" "-" "$before" "$after" >> "$table"

    cat > "$work/pg-patch.lua" <<'LUA'
local counter = 0
-- An offset (the script's argument) keeps two load generators off each other's heels on the same ids.
init = function(args)
    counter = tonumber(args[1] or "0")
end
request = function()
    counter = counter + 1
    local path = "/v1/scalableTargetDimensions/pg-" .. (counter % 256)
    local body = '{"desiredCapacity": ' .. (counter % 1000 + 1) .. '}'
    return wrk.format("PATCH", path, {["Content-Type"] = "application/json"}, body)
end
LUA
    local first second
    first=$(free_port)
    second=$(free_port)
    start_instance "$first"
    local row
    before=$(wal_counters)
    row=$(run_wrk "capacityd PATCH, 1 instance" "${pg_instances[0]}" "http://127.0.0.1:$first/" "$work/pg-patch.lua")
    after=$(wal_counters)
    pg_row "$(cut -f1 <<< "$row")" "$(cut -f2 <<< "$row")" "$(cut -f3 <<< "$row")" "$(cut -f4 <<< "$row")" \
        "$before" "$after" >> "$table"
    echo "$row" >> "$work/pg-wrk.tsv"

    cat > "$work/pg-get.lua" <<'LUA'
local counter = 0
request = function()
    counter = counter + 1
    return wrk.format("GET", "/v1/scalableTargetDimensions/pg-" .. (counter % 256))
end
LUA
    # GETs over the 256 ids, then all on one id: one process serves the operations of one id one statement at a
    # time, so the second shows what a single hot id costs.
    for run in "256 ids" "one id"; do
        before=$(wal_counters)
        if [ "$run" = "256 ids" ]; then
            row=$(run_wrk "capacityd GET, 1 instance, $run" "${pg_instances[0]}" "http://127.0.0.1:$first/" "$work/pg-get.lua")
        else
            row=$(run_wrk "capacityd GET, 1 instance, $run" "${pg_instances[0]}" "http://127.0.0.1:$first/v1/scalableTargetDimensions/pg-7")
        fi
        after=$(wal_counters)
        pg_row "$(cut -f1 <<< "$row")" "$(cut -f2 <<< "$row")" "$(cut -f3 <<< "$row")" "$(cut -f4 <<< "$row")" \
            "$before" "$after" >> "$table"
        echo "$row" >> "$work/pg-wrk.tsv"
    done

    # Two instances on the same 256 ids, half of the connections each: their updates meet on the same rows.
    start_instance "$second"
    before=$(wal_counters)
    local half=$((connections / 2))
    wrk -t1 -c"$half" -d"${duration}s" --latency -s "$work/pg-patch.lua" "http://127.0.0.1:$first/" > "$work/pg-two-a.wrk" &
    local wrk_a=$!
    wrk -t1 -c"$half" -d"${duration}s" --latency -s "$work/pg-patch.lua" "http://127.0.0.1:$second/" -- 128 > "$work/pg-two-b.wrk"
    wait "$wrk_a"
    after=$(wal_counters)
    row=$(python3 - "$work/pg-two-a.wrk" "$work/pg-two-b.wrk" <<'PY'
import re, sys
rps, p50, p99, errors = 0.0, [], [], 0
def pct(text, p):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)" % p, text, re.M)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
for path in sys.argv[1:]:
    text = open(path).read()
    rps += float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p50.append(pct(text, 50)); p99.append(pct(text, 99))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors += int(m.group(1)) if m else 0
print(f"capacityd PATCH, 2 instances\t{rps:.0f}\t{max(p50):.3f}\t{max(p99):.3f}\t{errors}")
PY
)
    pg_row "$(cut -f1 <<< "$row")" "$(cut -f2 <<< "$row")" "$(cut -f3 <<< "$row")" "$(cut -f4 <<< "$row")" \
        "$before" "$after" >> "$table"
    local non2xx
    non2xx=$(cut -f5 <<< "$row")

    for pid in "${pg_instances[@]}"; do kill -TERM "$pid"; wait "$pid" || true; done
    pg_instances=()

    echo
    column -t -s $'\t' "$table"
    python3 - "$table" "$work/pg-wrk.tsv" "$non2xx" "$connections" <<'PY'
import sys
connections = sys.argv[4]
rows = {line.split("\t")[0]: line.split("\t") for line in open(sys.argv[1]).read().splitlines()[1:]}
pgbench = float(rows["pgbench UPDATE (one commit each)"][1])
print()
for name in ("capacityd PATCH, 1 instance", "capacityd PATCH, 2 instances"):
    print(f"{name}: {float(rows[name][1]) / pgbench:.2f}x pgbench (durable, {connections} connections against {connections} clients)")
errors = [line.split("\t") for line in open(sys.argv[2]).read().splitlines()]
print("non-2xx answers: " + ", ".join(f"{row[0]} {row[5]}" for row in errors) + f", capacityd PATCH, 2 instances {sys.argv[3]}")
print("p50 and p99 of the two-instance run: the slower instance's; pgbench reports only its average latency")
PY
    grep -o 'stopped; .*' "$work/capacityd-pg.err" | tail -1 || true
}
