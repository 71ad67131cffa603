#!/usr/bin/env bash
# End to end check of the zero-trust layer (issue 6) with real processes in network namespaces:
#
#   zero-trust.sh [--io NAME] [--crypto NAME] [--gateway-threads N] [--log-dir DIR] [--only a,b1,...] [--fzctl] FZCTL
#
#   ns client  --veth 10.200.0.0/24--  ns gateway  --veth--  ns resources
#   fzctl client (alice, then bob)     fzctl portal            10.201.1.10 (web), 10.201.2.10 (db),
#                                      fzctl gateway (gw-1)    10.201.3.10 (only TCP 80), fd00:201:1::10
#                                                              python3 TCP listeners on 80 and 22
#
# The portal listens on the gateway's underlay address; the Gateway masquerades towards the resources.
# Scenarios, each printed as one PASS or FAIL line with its evidence:
#   a  first packet creates a flow to two Resources behind one Gateway
#   b1 reject-access with the re-authorization flag on: "Packet filtered", then traffic resumes; db never stops
#   c  a Resource that allows only TCP 80: UDP, TCP 22 and ping answered "prohibited" by the Client, no flow
#      request for it, TCP 80 connects, and denied traffic never makes the Client ask again
#   g  an IPv6 Resource
#   d  a removed policy (fzctl admin reload): cut off, route gone, no re-authorization loop
#   e  an expiry (SIGHUP reload sets expires_at a few seconds ahead): traffic stops after it
#   h1 the Client stops cleanly on SIGTERM (TUN and routes gone)
#   b2 reject-access with the flag off (a second Client): web stays cut off, db never stops
#   f  a wrong token: the node exits 1 with one line, the portal logs the refusal
#   audit  every control message in the portal's and the nodes' logs is one line with direction sent/received
#   h2 the Gateway stops cleanly on SIGTERM (TUN and nftables rules gone)
# Exits 1 if any scenario failed, after dumping the log lines written during it. All traffic stays inside
# the namespaces this script creates; they and every process it started are removed on exit.
set -euo pipefail
umask 077

FZCTL=""
IO=epoll
CRYPTO=auto
LOG_DIR=""
ONLY=""
GATEWAY_THREADS=""
while [ $# -gt 0 ]; do
    case "$1" in
        --io) IO=$2; shift 2 ;;
        --crypto) CRYPTO=$2; shift 2 ;;
        --log-dir) LOG_DIR=$2; shift 2 ;;
        --gateway-threads) GATEWAY_THREADS=$2; shift 2 ;;
        --only) ONLY=",$2,"; shift 2 ;;
        --fzctl) FZCTL=$2; shift 2 ;;
        -*) echo "FAIL (setup): unknown option $1"; exit 2 ;;
        *) FZCTL=$1; shift ;;
    esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE="$HERE/probe.py"

[ "$(id -u)" -eq 0 ] || { echo "FAIL (setup): needs root for network namespaces, TUN devices and nftables"; exit 1; }
[ -n "$FZCTL" ] && [ -x "$FZCTL" ] || { echo "FAIL (setup): pass the built fzctl binary (got '$FZCTL')"; exit 1; }
FZCTL=$(readlink -f "$FZCTL")
for tool in ip nft ping python3 timeout; do
    command -v "$tool" >/dev/null || { echo "FAIL (setup): $tool is not installed (run ./scripts/setup)"; exit 1; }
done
# The interpreter itself, not a wrapper such as a pyenv shim: the listener's pid must be python's, so that
# stopping it stops it.
PYTHON=$(python3 -c 'import sys; print(sys.executable)')

ID=$$
NS_C=fzztc$ID NS_G=fzztg$ID NS_R=fzztr$ID
TUN_G=fzg$ID TUN_ALICE=fzc$ID TUN_BOB=fzd$ID
GW_UNDERLAY=10.200.0.1 CLIENT_UNDERLAY=10.200.0.2
PORTAL_PORT=8080 WG_PORT=51820
PORTAL_WS="ws://$GW_UNDERLAY:$PORTAL_PORT" PORTAL_HTTP="http://$GW_UNDERLAY:$PORTAL_PORT"
WEB=10.201.1.10 DB=10.201.2.10 ONLY80=10.201.3.10 WEB6=fd00:201:1::10
FLAG=FZFF_ICMP_ERROR_UNREACHABLE_PROHIBITED_CREATE_NEW_FLOW

WORK=$(mktemp -d /tmp/fz-zero-trust.XXXXXX)
chmod 755 "$WORK"
POLICY="$WORK/policy.json"
PORTAL_LOG="$WORK/portal.log" GATEWAY_LOG="$WORK/gateway.log" RESOURCES_LOG="$WORK/resources.log"
ALICE_LOG="$WORK/client-alice.log" BOB_LOG="$WORK/client-bob.log"
token() { head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
ADMIN_TOKEN=$(token) GW_TOKEN=$(token) ALICE_TOKEN=$(token) BOB_TOKEN=$(token)

PIDS=()
PORTAL_PID="" GATEWAY_PID="" CLIENT_PID="" CLIENT_NAME=""
cleanup() {
    set +e
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for _ in $(seq 30); do
        local alive=0
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    wait 2>/dev/null
    # Anything still running inside the namespaces was started by this script (a probe, a stray ping).
    for ns in "$NS_C" "$NS_G" "$NS_R"; do
        local stray; stray=$(ip netns pids "$ns" 2>/dev/null)
        [ -z "$stray" ] || kill -9 $stray 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    if [ -n "$LOG_DIR" ]; then mkdir -p "$LOG_DIR" && cp "$WORK"/*.log "$WORK"/*.json "$LOG_DIR"/ 2>/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers -------------------------------------------------------------------------------------------------

ms() { echo $(( $(date +%s%N) / 1000000 )); }
lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
# For foreground commands only: started in the background, a function runs in a forked shell, and $! would be
# that shell, not the program (background programs are started with `ip netns exec` itself, which execs).
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# count_log LOG FROM K=V...: control messages after line FROM whose fields all match (a message the log
# repeats counts once). The message type names the direction: the portal only receives join, create_flow,
# flow_authorized and goodbye and only sends the others; the audit scenario checks the direction field.
count_log() { "$PYTHON" "$PROBE" count "$@"; }
show_log() { "$PYTHON" "$PROBE" lines "$@"; }
has_log() { [ "$(count_log "$@")" -ge 1 ]; }
# wait_for SECONDS COMMAND...: succeeds as soon as COMMAND does; fails once SECONDS have passed.
wait_for() {
    local deadline=$(( $(ms) + $1 * 1000 )); shift
    while :; do
        if "$@"; then return 0; fi
        [ "$(ms)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}
# wait_alive PID SECONDS COMMAND...: wait_for, but gives up at once when the process PID has exited.
wait_alive() {
    local pid=$1 deadline=$(( $(ms) + $2 * 1000 )); shift 2
    while :; do
        if "$@"; then return 0; fi
        kill -0 "$pid" 2>/dev/null || return 1
        [ "$(ms)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}
ping_ok() { in_ns "$NS_C" ping -c 1 -W 1 "$1" >/dev/null 2>&1; }
# One ping with up to $2 s for the answer; its whole output (replies or "Packet filtered").
ping_text() { in_ns "$NS_C" ping -c 1 -W "${2:-2}" "$1" 2>&1 || true; }
first_reply() { grep -m1 -E 'bytes from|Packet filtered|Unreachable|prohibited' <<<"$1" || echo "(no reply) $1"; }
received() { sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' <<<"$1" | head -1; }
tcp_probe() { in_ns "$NS_C" "$PYTHON" "$PROBE" tcp "$1" "$2" "${3:-5}" || true; }
udp_probe() { in_ns "$NS_C" "$PYTHON" "$PROBE" udp "$1" "$2" "${3:-3}" || true; }
json_field() { "$PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$1" "$2"; }
admin() { in_ns "$NS_G" "$FZCTL" admin --portal "$PORTAL_HTTP" --token "$ADMIN_TOKEN" "$@"; }
# A log line shortened to the fields an operator greps, as scenario evidence.
brief() {
    "$PYTHON" -c '
import json, sys
for line in sys.stdin:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    keys = ("time", "message_type", "direction", "client_id", "gateway_id", "resource_id", "reason")
    print(" ".join("%s=%s" % (k, e[k]) for k in keys if k in e and e[k] is not None))'
}

# Scenario output: note = evidence shown under the PASS/FAIL line; die = the reason it failed.
note() { echo "    $*"; }
die() { echo "!!  $*"; exit 1; }

nodes_alive() {
    local name pid
    for name in portal gateway client; do
        case $name in portal) pid=$PORTAL_PID ;; gateway) pid=$GATEWAY_PID ;; client) pid=$CLIENT_PID ;; esac
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            echo "the $name process ($pid) is no longer running"; return 1
        fi
    done
}

dump_logs_since() {  # dump_logs_since OFFSETS_FILE
    local log start
    while read -r log start; do
        [ -f "$log" ] || continue
        local total; total=$(lines "$log")
        [ "$total" -gt "$start" ] || continue
        echo "    --- $(basename "$log"), lines $((start + 1))-$total (last 150 shown)"
        tail -n +"$((start + 1))" "$log" | tail -150 | sed 's/^/    | /'
    done < "$1"
}

PASSED=0 FAILED=0 SKIPPED=0 FAILED_NAMES=""
# mark_offsets NAME: where each log ends now, so a failing scenario shows only the lines written since.
mark_offsets() {
    local log
    for log in "$PORTAL_LOG" "$GATEWAY_LOG" "$ALICE_LOG" "$BOB_LOG" "$RESOURCES_LOG"; do
        echo "$log $(lines "$log")"
    done > "$WORK/offsets.$1"
}

# run_scenario NAME TITLE FUNCTION: runs FUNCTION in a subshell with errexit (so a failing command fails the
# scenario, not the script) and prints PASS or FAIL with the evidence, plus the log lines written meanwhile.
run_scenario() {
    local name=$1 title=$2 fn=$3 offsets="$WORK/offsets.$1" out="$WORK/scenario.$1.out" status=0 why
    if [ -n "$ONLY" ] && [[ "$ONLY" != *",$name,"* ]]; then
        echo "SKIP ($name) $title: not in --only"; SKIPPED=$((SKIPPED + 1)); return
    fi
    [ -f "$offsets" ] || mark_offsets "$name"
    if why=$(nodes_alive); then
        set +e
        (
            set -eE
            trap 'echo "!!  unexpected failure: \`$BASH_COMMAND\` exited $? (line $LINENO)"' ERR
            "$fn"
        ) > "$out" 2>&1
        status=$?
        set -e
    else
        echo "!!  $why" > "$out"
        status=1
    fi
    if [ $status -eq 0 ]; then
        PASSED=$((PASSED + 1))
        echo "PASS ($name) $title"
        cat "$out"
    else
        FAILED=$((FAILED + 1))
        FAILED_NAMES="$FAILED_NAMES $name"
        echo "FAIL ($name) $title"
        cat "$out"
        dump_logs_since "$offsets"
    fi
}

fatal() {
    echo "FAIL (setup) $*"
    for log in "$WORK"/*.log; do
        [ -f "$log" ] && { echo "    --- $(basename "$log") (last 60 lines)"; tail -60 "$log" | sed 's/^/    | /'; }
    done
    exit 1
}

# --- policy --------------------------------------------------------------------------------------------------

# write_policy ALICE_WEB(yes|no) ALICE_DB_EXPIRES(unix seconds or "")
write_policy() {
    local alice_web=$1 db_expiry=$2 policies=""
    [ "$alice_web" = yes ] && policies+='{"client": "alice", "resource": "web"}, '
    if [ -n "$db_expiry" ]; then
        policies+="{\"client\": \"alice\", \"resource\": \"db\", \"expires_at\": $db_expiry}, "
    else
        policies+='{"client": "alice", "resource": "db"}, '
    fi
    policies+='{"client": "alice", "resource": "only80"}, {"client": "alice", "resource": "web6"}, '
    policies+='{"client": "bob", "resource": "web"}, {"client": "bob", "resource": "db"}'
    cat > "$POLICY.tmp" <<JSON
{
  "admin_token": "$ADMIN_TOKEN",
  "gateways": [{"id": "gw-1", "token": "$GW_TOKEN"}],
  "clients": [{"id": "alice", "token": "$ALICE_TOKEN"}, {"id": "bob", "token": "$BOB_TOKEN"}],
  "resources": [
    {"id": "web", "name": "Web", "address": "10.201.1.0/24", "gateways": ["gw-1"]},
    {"id": "db", "name": "Database", "address": "10.201.2.0/24", "gateways": ["gw-1"], "filters": []},
    {"id": "only80", "name": "Only TCP 80", "address": "10.201.3.0/24", "gateways": ["gw-1"],
     "filters": [{"protocol": "tcp", "port_range_start": 80, "port_range_end": 80}]},
    {"id": "web6", "name": "Web over IPv6", "address": "fd00:201:1::/64", "gateways": ["gw-1"]}
  ],
  "policies": [$policies]
}
JSON
    mv "$POLICY.tmp" "$POLICY"
}

# --- topology and nodes --------------------------------------------------------------------------------------

setup_namespaces() {
    ip netns add "$NS_C"
    ip netns add "$NS_G"
    ip netns add "$NS_R"
    ip link add "vc$ID" type veth peer name "vgc$ID"
    ip link add "vgr$ID" type veth peer name "vr$ID"
    ip link set "vc$ID" netns "$NS_C"
    ip link set "vgc$ID" netns "$NS_G"
    ip link set "vgr$ID" netns "$NS_G"
    ip link set "vr$ID" netns "$NS_R"
    ip -n "$NS_C" addr add "$CLIENT_UNDERLAY/24" dev "vc$ID"
    ip -n "$NS_G" addr add "$GW_UNDERLAY/24" dev "vgc$ID"
    for net in 1 2 3; do
        ip -n "$NS_G" addr add "10.201.$net.1/24" dev "vgr$ID"
        ip -n "$NS_R" addr add "10.201.$net.10/24" dev "vr$ID"
    done
    ip -n "$NS_G" addr add fd00:201:1::1/64 dev "vgr$ID" nodad
    ip -n "$NS_R" addr add "$WEB6/64" dev "vr$ID" nodad
    for ns in "$NS_C" "$NS_G" "$NS_R"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_C" link set "vc$ID" up
    ip -n "$NS_G" link set "vgc$ID" up
    ip -n "$NS_G" link set "vgr$ID" up
    ip -n "$NS_R" link set "vr$ID" up
}

portal_listening() { in_ns "$NS_G" timeout 1 bash -c "exec 3<>/dev/tcp/$GW_UNDERLAY/$PORTAL_PORT" 2>/dev/null; }

start_portal() {
    ip netns exec "$NS_G" "$FZCTL" portal --policy "$POLICY" --listen "$GW_UNDERLAY:$PORTAL_PORT" --log-format json \
        > "$PORTAL_LOG" 2>&1 &
    PORTAL_PID=$!
    PIDS+=("$PORTAL_PID")
    wait_alive "$PORTAL_PID" 15 portal_listening \
        || fatal "the portal did not listen on $GW_UNDERLAY:$PORTAL_PORT within 15 s (or exited)"
}

gateway_ready() {
    has_log "$PORTAL_LOG" 0 message_type=init gateway_id=gw-1 \
        && ip -n "$NS_G" -4 addr show dev "$TUN_G" 2>/dev/null | grep -q 'inet 100\.'
}

start_gateway() {
    # A stand-in for systemd's NOTIFY_SOCKET: it records what the gateway tells its service manager.
    "$PYTHON" "$PROBE" notify "$WORK/notify.sock" "$WORK/notify.out" "$NS_G" "$TUN_G" &
    PIDS+=("$!")
    wait_for 5 test -S "$WORK/notify.sock" || fatal "the NOTIFY_SOCKET listener did not start"
    ip netns exec "$NS_G" env NOTIFY_SOCKET="$WORK/notify.sock" "$FZCTL" gateway --portal "$PORTAL_WS" \
        --token "$GW_TOKEN" \
        --endpoint "$GW_UNDERLAY:$WG_PORT" --listen-port "$WG_PORT" --interface "$TUN_G" --io "$IO" \
        --crypto "$CRYPTO" ${GATEWAY_THREADS:+--threads "$GATEWAY_THREADS"} --log-format json > "$GATEWAY_LOG" 2>&1 &
    GATEWAY_PID=$!
    PIDS+=("$GATEWAY_PID")
    wait_alive "$GATEWAY_PID" 20 gateway_ready \
        || fatal "the gateway did not join (portal init to gw-1) and bring up $TUN_G in 20 s (or exited)"
    if [ -n "$GATEWAY_THREADS" ]; then
        grep -q "\"message\":\"gateway up\".*\"threads\":$GATEWAY_THREADS[,}]" "$GATEWAY_LOG" \
            || fatal "the gateway's 'gateway up' line does not say threads $GATEWAY_THREADS"
    fi
}

routed_into() {  # routed_into TUN ADDRESS
    in_ns "$NS_C" ip route get "$2" 2>/dev/null | grep -q "dev $1 "
}

client_ready() {  # client_ready NAME TUN
    has_log "$PORTAL_LOG" 0 message_type=init client_id="$1" \
        && routed_into "$2" "$WEB" && routed_into "$2" "$DB"
}

# start_client NAME TOKEN TUN LOG FLAG(true|false)
start_client() {
    ip netns exec "$NS_C" env "$FLAG=$5" "$FZCTL" client --portal "$PORTAL_WS" --token "$2" --interface "$3" \
        --io "$IO" --crypto "$CRYPTO" --log-format json > "$4" 2>&1 &
    CLIENT_PID=$!
    CLIENT_NAME=$1
    PIDS+=("$CLIENT_PID")
    wait_alive "$CLIENT_PID" 20 client_ready "$1" "$3" \
        || fatal "client $1 did not join (portal init) and route $WEB and $DB into $3 within 20 s (or exited)"
}

start_resources() {
    ip netns exec "$NS_R" "$PYTHON" -u "$PROBE" serve 80 22 > "$RESOURCES_LOG" 2>&1 &
    PIDS+=("$!")
    resources_listening() { in_ns "$NS_R" timeout 1 bash -c "exec 3<>/dev/tcp/$WEB/22" 2>/dev/null; }
    wait_for 10 resources_listening || fatal "the python3 listeners in the resources namespace did not start"
}

# stop_process PID SECONDS: SIGTERM, then STOP_STATUS = its exit status (124 if still running after SECONDS).
# Only the shell that started PID can collect its status, so this runs at the top level, never in a scenario.
stop_process() {
    kill -TERM "$1" 2>/dev/null || true
    local deadline=$(( $(ms) + $2 * 1000 ))
    while kill -0 "$1" 2>/dev/null && [ "$(ms)" -lt "$deadline" ]; do sleep 0.1; done
    if kill -0 "$1" 2>/dev/null; then STOP_STATUS=124; return; fi
    STOP_STATUS=0
    wait "$1" 2>/dev/null || STOP_STATUS=$?
}

# --- scenarios -----------------------------------------------------------------------------------------------

scenario_first_packet() {
    local from; from=$(lines "$PORTAL_LOG")
    local gw_from; gw_from=$(lines "$GATEWAY_LOG")
    local out resource address
    for resource in web db; do
        [ $resource = web ] && address=$WEB || address=$DB
        # The first packet is buffered while the flow is created and flushed after: it gets its reply.
        out=$(ping_text "$address" 5)
        grep -q 'bytes from' <<<"$out" \
            || die "the first ping to $resource ($address) got no reply: $(first_reply "$out")"
        note "first ping to $resource: $(first_reply "$out")"
    done
    for resource in web db; do
        local requests created
        requests=$(count_log "$PORTAL_LOG" "$from" message_type=create_flow client_id=alice \
            resource_id=$resource)
        created=$(count_log "$PORTAL_LOG" "$from" message_type=flow_created client_id=alice \
            resource_id=$resource)
        [ "$requests" -eq 1 ] || die "portal log: $requests create_flow from alice for $resource (expected 1)"
        [ "$created" -eq 1 ] || die "portal log: $created flow_created to alice for $resource (expected 1)"
        has_log "$GATEWAY_LOG" "$gw_from" message_type=authorize_flow direction=received client_id=alice \
            resource_id=$resource || die "gateway log: no authorize_flow received for alice/$resource"
        show_log "$PORTAL_LOG" "$from" message_type=create_flow resource_id=$resource | brief | sed 's/^/portal: /' \
            | while read -r line; do note "$line"; done
        show_log "$PORTAL_LOG" "$from" message_type=flow_created resource_id=$resource | brief \
            | sed 's/^/portal: /' | while read -r line; do note "$line"; done
    done
    out=$(tcp_probe "$WEB" 80)
    [ "$(json_field "$out" banner)" = "fz-e2e 80" ] || die "TCP to web:80 through the flow failed: $out"
    note "TCP web:80 $out"
    [ "$(count_log "$PORTAL_LOG" "$from" message_type=create_flow)" -eq 2 ] \
        || die "more flow requests than the two first packets: $(show_log "$PORTAL_LOG" "$from" \
            message_type=create_flow | brief | tr '\n' ';')"
}

gateway_got_reject() {  # gateway_got_reject FROM CLIENT RESOURCE
    has_log "$GATEWAY_LOG" "$1" message_type=reject_access direction=received client_id="$2" resource_id="$3"
}

# reject_and_watch CLIENT FLAG: reject-access on web while db is pinged; the evidence both flag cases share.
# Sets REJECT_FROM (portal log line) and leaves the db ping running as DB_PING_PID writing $WORK/db-ping.txt.
reject_web_while_pinging_db() {
    local client=$1
    ip netns exec "$NS_C" ping -c 45 -i 0.2 -W 1 "$DB" > "$WORK/db-ping.txt" 2>&1 &
    DB_PING_PID=$!
    sleep 0.5
    REJECT_FROM=$(lines "$PORTAL_LOG")
    local gw_from; gw_from=$(lines "$GATEWAY_LOG")
    local out
    out=$(admin reject-access --client "$client" --resource web 2>&1) || die "fzctl admin reject-access failed: $out"
    note "fzctl admin reject-access --client $client --resource web: ${out:-(no output)}" 
    wait_for 5 gateway_got_reject "$gw_from" "$client" web || die "gateway log: no reject_access for $client/web in 5 s"
    show_log "$GATEWAY_LOG" "$gw_from" message_type=reject_access | brief | sed 's/^/gateway: /' \
        | while read -r line; do note "$line"; done
    # The Gateway logs the message as it reads it; give its loop a moment to apply it.
    sleep 0.3
    out=$(ping_text "$WEB" 2)
    grep -q 'Packet filtered' <<<"$out" \
        || die "the next ping to web after reject-access did not show 'Packet filtered': $(first_reply "$out")"
    note "next ping to web: $(first_reply "$out")"
}

check_db_never_stopped() {
    local status=0
    wait "$DB_PING_PID" || status=$?
    local summary; summary=$(grep -E 'packets transmitted' "$WORK/db-ping.txt" || true)
    ! grep -q 'Packet filtered' "$WORK/db-ping.txt" || die "db was filtered meanwhile: $(grep -m1 filtered \
        "$WORK/db-ping.txt")"
    grep -q ' 0% packet loss' <<<"$summary" || die "db did not keep working meanwhile (ping status $status): $summary"
    note "db meanwhile: $summary"
}

scenario_reject_flag_on() {
    reject_web_while_pinging_db alice
    local started; started=$(ms)
    wait_for 5 ping_ok "$WEB" || die "ping to web did not work again within 5 s of 'Packet filtered' (flag on)"
    note "web answers again $(( $(ms) - started )) ms after the filtered ping"
    local again
    again=$(count_log "$PORTAL_LOG" "$REJECT_FROM" message_type=create_flow client_id=alice \
        resource_id=web)
    [ "$again" -ge 1 ] || die "portal log: web works again but shows no create_flow from alice for it"
    show_log "$PORTAL_LOG" "$REJECT_FROM" message_type=create_flow client_id=alice | brief \
        | sed 's/^/portal: /' | while read -r line; do note "$line"; done
    show_log "$PORTAL_LOG" "$REJECT_FROM" message_type=flow_created client_id=alice | brief \
        | sed 's/^/portal: /' | while read -r line; do note "$line"; done
    check_db_never_stopped
}

scenario_reject_flag_off() {
    local out
    for address in "$WEB" "$DB"; do
        out=$(ping_text "$address" 5)
        grep -q 'bytes from' <<<"$out" || die "bob's first ping to $address got no reply: $(first_reply "$out")"
    done
    note "bob reaches web and db"
    reject_web_while_pinging_db bob
    # Flag off: web stays cut off. Each ping waits 1 s, every 0.5 s, for about 6 s.
    out=$(in_ns "$NS_C" ping -c 12 -i 0.5 -W 1 "$WEB" 2>&1 || true)
    local got; got=$(received "$out")
    [ "${got:-0}" -eq 0 ] || die "web answered $got of 12 pings after reject-access with the flag off"
    note "web over the next 6 s: $(grep -E 'packets transmitted' <<<"$out")"
    local again
    again=$(count_log "$PORTAL_LOG" "$REJECT_FROM" message_type=create_flow client_id=bob \
        resource_id=web)
    [ "$again" -eq 0 ] || die "portal log: bob sent $again create_flow for web with the flag off"
    note "portal: no create_flow from bob for web after the reject"
    check_db_never_stopped
}

errno_is() {  # errno_is PROBE_JSON NAME
    [ "$(json_field "$1" result)" = error ] && [ "$(json_field "$1" error)" = "$2" ]
}

at_once() {  # at_once PROBE_JSON: answered within 1 s
    "$PYTHON" -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["elapsed"] < 1.0 else 1)' "$1"
}

denied_answered_locally() {  # the TCP 22, UDP and ping probes against only80
    local out
    out=$(tcp_probe "$ONLY80" 22 5)
    errno_is "$out" EHOSTUNREACH && at_once "$out" || die "TCP to only80:22 was not refused at once: $out"
    note "TCP only80:22 $out"
    out=$(udp_probe "$ONLY80" 53 3)
    errno_is "$out" EHOSTUNREACH && at_once "$out" || die "UDP to only80:53 was not refused at once: $out"
    note "UDP only80:53 $out"
    out=$(ping_text "$ONLY80" 2)
    grep -q 'Packet filtered' <<<"$out" || die "ping to only80 did not show 'Packet filtered': $(first_reply "$out")"
    note "ping only80: $(first_reply "$out")"
}

scenario_filter_only_tcp80() {
    local from; from=$(lines "$PORTAL_LOG")
    denied_answered_locally
    sleep 1.5
    local requests
    requests=$(count_log "$PORTAL_LOG" "$from" message_type=create_flow resource_id=only80)
    [ "$requests" -eq 0 ] || die "portal log: $requests create_flow for only80 from traffic its filters deny"
    note "portal: no create_flow for only80 while only denied traffic was sent"
    local out; out=$(tcp_probe "$ONLY80" 80 5)
    [ "$(json_field "$out" banner)" = "fz-e2e 80" ] || die "TCP to only80:80 did not connect: $out"
    note "TCP only80:80 $out"
    # With a flow to the Resource and the flag on, denied traffic still never makes the Client ask again.
    denied_answered_locally
    sleep 2.5
    requests=$(count_log "$PORTAL_LOG" "$from" message_type=create_flow resource_id=only80)
    [ "$requests" -eq 1 ] || die "portal log: $requests create_flow for only80 (expected 1, for TCP 80)"
    note "portal: exactly 1 create_flow for only80 (TCP 80), none for denied traffic, before or after the flow"
}

scenario_ipv6() {
    local from; from=$(lines "$PORTAL_LOG")
    routed_into "$TUN_ALICE" "$WEB6" || die "the client has no route for $WEB6 into $TUN_ALICE"
    local out="" tries=0
    ping6_reply() { tries=$((tries + 1)); out=$(in_ns "$NS_C" ping -6 -c 1 -W 2 "$WEB6" 2>&1); }
    wait_for 8 ping6_reply || die "ping -6 $WEB6 got no reply within 8 s: $(first_reply "$out")"
    note "ping -6 web6 (attempt $tries): $(first_reply "$out")"
    out=$(tcp_probe "$WEB6" 80)
    [ "$(json_field "$out" banner)" = "fz-e2e 80" ] || die "TCP to [$WEB6]:80 failed: $out"
    note "TCP [web6]:80 $out"
    has_log "$PORTAL_LOG" "$from" message_type=flow_created client_id=alice resource_id=web6 \
        || die "portal log: no flow_created to alice for web6"
    show_log "$PORTAL_LOG" "$from" message_type=flow_created resource_id=web6 | brief | sed 's/^/portal: /' \
        | while read -r line; do note "$line"; done
}

portal_told() {  # portal_told FROM MESSAGE_TYPE K=V...
    local from=$1 type=$2; shift 2
    has_log "$PORTAL_LOG" "$from" message_type="$type" "$@"
}

scenario_removed_policy() {
    ping_ok "$WEB" || die "web does not answer before the policy is removed"
    local from; from=$(lines "$PORTAL_LOG")
    write_policy no ""
    local out; out=$(admin reload 2>&1) || die "fzctl admin reload failed: $out"
    note "policy rewritten without alice->web; fzctl admin reload: ${out:-(no output)}"
    wait_for 5 portal_told "$from" reject_access gateway_id=gw-1 client_id=alice resource_id=web \
        || die "portal log: no reject_access sent to gw-1 for alice/web within 5 s of the reload"
    wait_for 5 portal_told "$from" resource_deleted client_id=alice resource_id=web \
        || die "portal log: no resource_deleted sent to alice for web within 5 s of the reload"
    show_log "$PORTAL_LOG" "$from" resource_id=web | brief | sed 's/^/portal: /' \
        | while read -r line; do note "$line"; done
    gone() { ! routed_into "$TUN_ALICE" "$WEB"; }
    wait_for 3 gone || die "the client still routes $WEB into $TUN_ALICE after resource_deleted"
    note "client route for web removed"
    out=$(in_ns "$NS_C" ping -c 10 -i 0.5 -W 1 "$WEB" 2>&1 || true)
    [ "$(received "$out")" = "" ] || [ "$(received "$out")" -eq 0 ] \
        || die "web still answers after its policy was removed: $(grep 'packets transmitted' <<<"$out")"
    note "web over 5 s: $(grep -m1 -E 'packets transmitted|unreachable|connect' <<<"$out")"
    local requests
    requests=$(count_log "$PORTAL_LOG" "$from" message_type=create_flow client_id=alice resource_id=web)
    [ "$requests" -le 1 ] || die "re-authorization loop: $requests create_flow for web in the 5 s after removal"
    note "portal: $requests create_flow from alice for web since the reload (at most 1 allowed)"
}

scenario_expiry() {
    local from; from=$(lines "$PORTAL_LOG")
    local expires=$(( $(date +%s) + 7 ))
    write_policy no "$expires"
    kill -HUP "$PORTAL_PID"
    note "policy rewritten with alice->db expires_at=$expires (now $(date +%s)); SIGHUP sent to the portal"
    wait_for 5 portal_told "$from" access_authorization_expiry_updated gateway_id=gw-1 client_id=alice \
        resource_id=db || die "portal log: no access_authorization_expiry_updated sent to gw-1 for alice/db"
    show_log "$PORTAL_LOG" "$from" message_type=access_authorization_expiry_updated | brief \
        | sed 's/^/portal: /' | while read -r line; do note "$line"; done
    [ "$(date +%s)" -lt $((expires - 1)) ] || die "the reload took too long to test before the expiry"
    ping_ok "$DB" || die "db does not answer before the expiry"
    note "db answers before the expiry"
    # Swept at least every second: give it 1.5 s past the expiry.
    while [ "$(date +%s)" -lt $((expires + 2)) ]; do sleep 0.2; done
    local after; after=$(lines "$PORTAL_LOG")
    local out; out=$(in_ns "$NS_C" ping -c 8 -i 0.5 -W 1 "$DB" 2>&1 || true)
    [ "$(received "$out")" = "" ] || [ "$(received "$out")" -eq 0 ] \
        || die "db still answers after the expiry: $(grep 'packets transmitted' <<<"$out")"
    note "db after the expiry: $(grep -m1 -E 'packets transmitted|unreachable' <<<"$out")"
    local granted
    granted=$(count_log "$PORTAL_LOG" "$after" message_type=flow_created client_id=alice resource_id=db)
    [ "$granted" -eq 0 ] || die "portal log: a new flow_created for alice/db after its expiry"
    local requests
    requests=$(count_log "$PORTAL_LOG" "$after" message_type=create_flow client_id=alice resource_id=db)
    note "portal: no flow_created for db after the expiry ($requests create_flow asked)"
}

# The Client removes its TUN device and routes on SIGTERM (stopped at the top level: ALICE_STOP).
scenario_client_stops() {
    [ "$ALICE_STOP" -eq 0 ] || die "client alice exited with $ALICE_STOP on SIGTERM (124: still running after 5 s)"
    ! ip -n "$NS_C" link show "$TUN_ALICE" >/dev/null 2>&1 || die "$TUN_ALICE still exists after the client stopped"
    local left; left=$(ip -n "$NS_C" route show | grep -E '^10\.201\.' || true)
    [ -z "$left" ] || die "routes left behind: $left"
    note "client exited 0; $TUN_ALICE and its routes are gone"
}

wrong_token_refused() {  # wrong_token_refused ROLE NAMESPACE COMMAND...
    local role=$1 ns=$2; shift 2
    local from; from=$(lines "$PORTAL_LOG")
    local status=0
    in_ns "$ns" timeout 20 "$@" > "$WORK/wrong.out" 2> "$WORK/wrong.err" || status=$?
    [ "$status" -eq 1 ] || die "$role with a wrong token exited $status (expected 1): $(head -3 "$WORK/wrong.err")"
    [ "$(wc -l < "$WORK/wrong.err")" -eq 1 ] && grep -q '^fzctl: error: ' "$WORK/wrong.err" \
        || die "$role with a wrong token did not print exactly one 'fzctl: error:' line: $(head -5 "$WORK/wrong.err")"
    note "$role: exit 1, $(cat "$WORK/wrong.err")"
    refused() { tail -n +"$((from + 1))" "$PORTAL_LOG" | grep -qiE 'token|401|unauthori'; }
    wait_for 3 refused || die "the portal logged nothing about the refused $role token"
    note "portal: $(tail -n +"$((from + 1))" "$PORTAL_LOG" | grep -iE 'token|401|unauthori' | head -1 | cut -c1-200)"
}

scenario_wrong_token() {
    wrong_token_refused client "$NS_C" "$FZCTL" client --portal "$PORTAL_WS" --token "not-$BOB_TOKEN" \
        --interface "fzx$ID" --io "$IO" --log off
    ! ip -n "$NS_C" link show "fzx$ID" >/dev/null 2>&1 || die "the refused client left fzx$ID behind"
    wrong_token_refused gateway "$NS_G" "$FZCTL" gateway --portal "$PORTAL_WS" --token "not-$GW_TOKEN" \
        --endpoint "$GW_UNDERLAY:$((WG_PORT + 1))" --listen-port "$((WG_PORT + 1))" --interface "fzy$ID" \
        --io "$IO" --log off
    ! ip -n "$NS_G" link show "fzy$ID" >/dev/null 2>&1 || die "the refused gateway left fzy$ID behind"
}

# Bob and the Gateway were stopped at the top level (BOB_STOP, GATEWAY_STOP; NFT_RUNNING is the ruleset before).
scenario_audit_trail() {
    local out status=0
    out=$("$PYTHON" "$PROBE" audit "$PORTAL_LOG" "$GATEWAY_LOG" "$ALICE_LOG" "$BOB_LOG") || status=$?
    while read -r line; do note "$line"; done <<<"$out"
    [ $status -eq 0 ] || die "the audit trail must log each control message once, with direction sent or received"
}

scenario_gateway_stops() {
    [ "$BOB_STOP" -eq 0 ] || die "client bob exited with $BOB_STOP on SIGTERM (124: still running after 5 s)"
    ! ip -n "$NS_C" link show "$TUN_BOB" >/dev/null 2>&1 || die "$TUN_BOB still exists after the client stopped"
    grep -q masquerade <<<"$NFT_RUNNING" \
        || die "no masquerade rule in the gateway namespace while it ran: $(tr '\n' ' ' <<<"$NFT_RUNNING")"
    note "nftables while the gateway ran: $(tr -s ' \n' ' ' <<<"$NFT_RUNNING" | cut -c1-160)"
    [ "$GATEWAY_STOP" -eq 0 ] || die "the gateway exited with $GATEWAY_STOP on SIGTERM (124: still running after 5 s)"
    ! ip -n "$NS_G" link show "$TUN_G" >/dev/null 2>&1 || die "$TUN_G still exists after the gateway stopped"
    grep -q "^STOPPING=1 STATUS=gateway $TUN_G stopping" "$WORK/notify.out" \
        || die "the gateway did not send STOPPING=1 to NOTIFY_SOCKET: $(tr '\n' '|' < "$WORK/notify.out")"
    local rules; rules=$(in_ns "$NS_G" nft list ruleset)
    [ -z "$rules" ] || die "nftables rules left behind: $(tr '\n' ' ' <<<"$rules" | cut -c1-300)"
    note "client and gateway exited 0; TUN devices and the gateway's nftables rules are gone"
}

# A Gateway under systemd (Type=notify) is ready once the portal's init has put its tunnel address on the TUN.
scenario_service_ready() {
    wait_for 5 grep -q "^READY=1" "$WORK/notify.out" \
        || die "the gateway sent no READY=1 to NOTIFY_SOCKET: $(tr '\n' '|' < "$WORK/notify.out" 2>/dev/null)"
    local ready expected="READY=1 STATUS=gateway $TUN_G up, tunnel addresses assigned by the portal"
    ready=$(grep -m1 "^READY=1" "$WORK/notify.out")
    [[ "$ready" == "$expected MAINPID=$GATEWAY_PID"* ]] || die "unexpected READY=1 datagram: $ready"
    [[ "$ready" == *" addressed=yes" ]] || die "READY=1 came before $TUN_G had its tunnel address: $ready"
    [ "$(grep -c "^READY=1" "$WORK/notify.out")" -eq 1 ] || die "READY=1 sent more than once"
    note "the gateway's READY=1 came with its tunnel address on $TUN_G: $ready"
}

# --- run -----------------------------------------------------------------------------------------------------

echo "zero-trust end to end: fzctl=$FZCTL io=$IO crypto=$CRYPTO namespaces=$NS_C,$NS_G,$NS_R"
setup_namespaces
write_policy yes ""
start_resources
start_portal
start_gateway
start_client alice "$ALICE_TOKEN" "$TUN_ALICE" "$ALICE_LOG" true
echo "nodes up: gateway $("$PYTHON" "$PROBE" backends "$GATEWAY_LOG");" \
    "client $("$PYTHON" "$PROBE" backends "$ALICE_LOG")"

run_scenario n "the Gateway tells systemd READY=1 (NOTIFY_SOCKET) once the portal gave it its tunnel address" \
    scenario_service_ready
run_scenario a "a Client reaches two Resources behind one Gateway, flows created on the first packet" \
    scenario_first_packet
run_scenario b1 "reject-access on web, flag on: 'Packet filtered', re-authorized, db never stops" \
    scenario_reject_flag_on
run_scenario c "a Resource allowing only TCP 80: UDP, TCP 22 and ping 'prohibited' at once, no flow request" \
    scenario_filter_only_tcp80
run_scenario g "an IPv6 Resource" scenario_ipv6
run_scenario d "a removed policy (admin reload): cut off, no re-authorization loop" scenario_removed_policy
run_scenario e "an expiry (SIGHUP reload, expires_at a few seconds ahead): traffic stops after it" scenario_expiry
mark_offsets h1
stop_process "$CLIENT_PID" 5
ALICE_STOP=$STOP_STATUS CLIENT_PID=""
run_scenario h1 "the Client stops cleanly on SIGTERM" scenario_client_stops

if nodes_alive >/dev/null; then
    start_client bob "$BOB_TOKEN" "$TUN_BOB" "$BOB_LOG" false
    run_scenario b2 "reject-access on web, flag off (second Client): web stays cut off, db never stops" \
        scenario_reject_flag_off
    run_scenario f "a wrong token: the node exits 1 with one line, the portal logs it" scenario_wrong_token
    run_scenario audit "every control message logged once, with direction sent/received, by portal and nodes" \
        scenario_audit_trail
    mark_offsets h2
    NFT_RUNNING=$(in_ns "$NS_G" nft list ruleset 2>&1 || true)
    stop_process "$CLIENT_PID" 5
    BOB_STOP=$STOP_STATUS CLIENT_PID=""
    stop_process "$GATEWAY_PID" 5
    GATEWAY_STOP=$STOP_STATUS GATEWAY_PID=""
    run_scenario h2 "Client and Gateway stop cleanly on SIGTERM (TUN devices, nftables rules)" \
        scenario_gateway_stops
else
    FAILED=$((FAILED + 1)); FAILED_NAMES="$FAILED_NAMES b2,f,h2"
    echo "FAIL (b2,f,h2) not run: $(nodes_alive || true)"
fi

if [ "$FAILED" -eq 0 ]; then
    echo "PASS zero-trust io=$IO crypto=$CRYPTO gateway_threads=${GATEWAY_THREADS:-default}:" \
        "$PASSED scenarios passed, $SKIPPED skipped"
else
    echo "FAIL zero-trust io=$IO crypto=$CRYPTO: $FAILED failed ($FAILED_NAMES ), $PASSED passed"
    exit 1
fi
