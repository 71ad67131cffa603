#!/usr/bin/env bash
# Interop check between `fzctl up` (side A) and Debian's wireguard-go configured with `wg` (side B),
# each in a network namespace this script creates and removes, joined by a veth pair.
#
#   interop.sh [--a fzctl|wireguard-go] [--fzctl PATH] [--crypto NAME] [--io NAME] [--offloads LIST] [--psk]
#              [--initiator a|b] [--bytes N] [--threads N]
#
# Checks, in order: the handshake (initiated by --initiator; the other side has no endpoint and must
# learn it from the handshake), ping both ways over the IPv4 and IPv6 inner addresses, and a TCP
# transfer of --bytes from A to B whose SHA-256 must match on both ends. Prints one "PASS ..." line at
# the end, or "FAIL: reason" and exits 1. Traffic stays inside the two namespaces.
set -euo pipefail
umask 077

A_KIND=fzctl
FZCTL=""
CRYPTO=auto
IO=epoll
OFFLOADS=all
PSK=0
INITIATOR=a
BYTES=$((100 * 1024 * 1024))
THREADS=""
while [ $# -gt 0 ]; do
    case "$1" in
        --a) A_KIND=$2; shift 2 ;;
        --fzctl) FZCTL=$2; shift 2 ;;
        --crypto) CRYPTO=$2; shift 2 ;;
        --io) IO=$2; shift 2 ;;
        --offloads) OFFLOADS=$2; shift 2 ;;
        --psk) PSK=1; shift ;;
        --initiator) INITIATOR=$2; shift 2 ;;
        --bytes) BYTES=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        *) echo "FAIL: unknown argument $1"; exit 2 ;;
    esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root for network namespaces and TUN devices"; exit 1; }
for tool in wireguard-go wg ip ping python3; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (run ./scripts/setup)"; exit 1; }
done

ID=$$
NSA=fzia$ID NSB=fzib$ID
IFA=fza$ID IFB=fzb$ID
WORK=$(mktemp -d /tmp/fz-interop.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 0.2
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$NSA" 2>/dev/null || true
    ip netns del "$NSB" 2>/dev/null || true
    rm -f "/var/run/wireguard/$IFA.sock" "/var/run/wireguard/$IFB.sock"
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for log in "$WORK"/*.log; do [ -f "$log" ] && { echo "--- $log"; tail -20 "$log"; }; done
    exit 1
}

ip netns add "$NSA"
ip netns add "$NSB"
ip link add "v$IFA" type veth peer name "v$IFB"
ip link set "v$IFA" netns "$NSA"
ip link set "v$IFB" netns "$NSB"
ip -n "$NSA" addr add 10.201.0.1/24 dev "v$IFA"
ip -n "$NSB" addr add 10.201.0.2/24 dev "v$IFB"
for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
ip -n "$NSA" link set "v$IFA" up
ip -n "$NSB" link set "v$IFB" up

KEY_A=$(wg genkey); KEY_B=$(wg genkey)
PUB_A=$(echo "$KEY_A" | wg pubkey); PUB_B=$(echo "$KEY_B" | wg pubkey)
PSK_LINE=""; PSK_FILE=/dev/null
if [ "$PSK" = 1 ]; then
    wg genpsk > "$WORK/psk"; PSK_FILE="$WORK/psk"; PSK_LINE="PresharedKey = $(cat "$WORK/psk")"
fi
ENDPOINT_A_LINE=""; [ "$INITIATOR" = a ] && ENDPOINT_A_LINE="Endpoint = 10.201.0.2:51820"

cat > "$WORK/a.conf" <<CONF
[Interface]
PrivateKey = $KEY_A
ListenPort = 51820
Address = 10.202.0.1/24, fd00:202::1/64
MTU = 1420

[Peer]
PublicKey = $PUB_B
$PSK_LINE
AllowedIPs = 10.202.0.2/32, fd00:202::2/128
$ENDPOINT_A_LINE
CONF

# Side B: wireguard-go configured with wg.
ip netns exec "$NSB" env WG_PROCESS_FOREGROUND=1 wireguard-go "$IFB" > "$WORK/b.log" 2>&1 &
PIDS+=($!)
# Side A.
if [ "$A_KIND" = fzctl ]; then
    [ -x "$FZCTL" ] || fail "--fzctl must name the built fzctl binary"
    THREAD_ARGS=()
    [ -n "$THREADS" ] && THREAD_ARGS=(--threads "$THREADS")
    ip netns exec "$NSA" "$FZCTL" up "$WORK/a.conf" --interface "$IFA" --crypto "$CRYPTO" --io "$IO" \
        --offloads "$OFFLOADS" --metrics-listen 127.0.0.1:9586 "${THREAD_ARGS[@]}" > "$WORK/a.log" 2>&1 &
    FZCTL_PID=$!
    PIDS+=($!)
else
    ip netns exec "$NSA" env WG_PROCESS_FOREGROUND=1 wireguard-go "$IFA" > "$WORK/a.log" 2>&1 &
    PIDS+=($!)
fi
for _ in $(seq 50); do
    [ -S "/var/run/wireguard/$IFB.sock" ] && ip -n "$NSA" link show "$IFA" >/dev/null 2>&1 && break
    sleep 0.1
done
ip -n "$NSA" link show "$IFA" >/dev/null 2>&1 || fail "side A ($A_KIND) did not create $IFA"
if [ "$A_KIND" = fzctl ]; then
    # The TUN device exists before fzctl has given it addresses and routes (slow under a sanitizer on a busy
    # machine): until "interface up" a ping from A fails at once with no route, and the retries below would
    # be spent in milliseconds.
    for _ in $(seq 600); do
        grep -q "interface up" "$WORK/a.log" && break
        kill -0 "$FZCTL_PID" 2>/dev/null || fail "fzctl up exited before the interface came up"
        sleep 0.1
    done
    grep -q "interface up" "$WORK/a.log" || fail "fzctl up did not log \"interface up\" within 60 s"
    # Each worker after the first runs on a thread named for it (top -H, perf); the first is the main thread.
    if [ -n "$THREADS" ] && [ "$THREADS" -gt 1 ]; then
        for worker in $(seq 1 $((THREADS - 1))); do
            grep -qx "fz-worker-$worker" /proc/"$FZCTL_PID"/task/*/comm \
                || fail "fzctl up --threads $THREADS has no thread named fz-worker-$worker"
        done
    fi
fi

B_ENDPOINT=(); [ "$INITIATOR" = b ] && B_ENDPOINT=(endpoint 10.201.0.1:51820)
ip netns exec "$NSB" wg set "$IFB" private-key <(echo "$KEY_B") listen-port 51820 \
    peer "$PUB_A" preshared-key "$PSK_FILE" allowed-ips 10.202.0.1/32,fd00:202::1/128 "${B_ENDPOINT[@]}"
ip -n "$NSB" addr add 10.202.0.2/24 dev "$IFB"
ip -n "$NSB" addr add fd00:202::2/64 dev "$IFB"
ip -n "$NSB" link set "$IFB" mtu 1420 up

if [ "$A_KIND" != fzctl ]; then
    grep -v '^Address\|^MTU\|^$' "$WORK/a.conf" > "$WORK/a.wg"
    ip netns exec "$NSA" wg setconf "$IFA" "$WORK/a.wg"
    ip -n "$NSA" addr add 10.202.0.1/24 dev "$IFA"
    ip -n "$NSA" addr add fd00:202::1/64 dev "$IFA"
    ip -n "$NSA" link set "$IFA" mtu 1420 up
fi

if [ "$INITIATOR" = a ]; then FIRST=$NSA; FIRST_TARGET=10.202.0.2; else FIRST=$NSB; FIRST_TARGET=10.202.0.1; fi
# IPv6 duplicate address detection can hold the inner addresses for a moment.
ok=0
for _ in $(seq 20); do
    if ip netns exec "$FIRST" ping -c 1 -W 1 "$FIRST_TARGET" >/dev/null 2>&1; then ok=1; break; fi
    # A ping that fails at once (no route yet) must not use up the attempts.
    sleep 0.5
done
[ $ok = 1 ] || fail "no reply to the first ping from the initiator ($INITIATOR): no handshake"
ip netns exec "$NSB" wg show "$IFB" latest-handshakes | grep -q "$PUB_A"$'\t''[1-9]' \
    || fail "wireguard-go reports no handshake with A"

for target in "$NSA 10.202.0.2" "$NSB 10.202.0.1" "$NSA fd00:202::2" "$NSB fd00:202::1"; do
    set -- $target
    ok=0
    for _ in $(seq 10); do
        if ip netns exec "$1" ping -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; then ok=1; break; fi
        sleep 0.3
    done
    [ $ok = 1 ] || fail "ping from $1 to $2 failed"
done

if [ "$A_KIND" = fzctl ]; then
    # The WireGuard UAPI as Debian's wg speaks it, against fzctl up.
    ip netns exec "$NSA" wg show "$IFA" latest-handshakes | grep -q "^$PUB_B"$'\t''[1-9]' \
        || fail "wg show $IFA reports no handshake"
    ip netns exec "$NSA" wg show "$IFA" transfer | awk -v k="$PUB_B" '$1 == k && $2 > 0 && $3 > 0 {ok=1} END {exit !ok}' \
        || fail "wg show $IFA transfer shows no traffic"
    ip netns exec "$NSA" wg showconf "$IFA" | grep -q "^PublicKey = $PUB_B" || fail "wg showconf $IFA lacks peer B"
    if [ "$PSK" = 1 ]; then
        ip netns exec "$NSA" wg showconf "$IFA" | grep -q "^PresharedKey = $(cat "$WORK/psk")" \
            || fail "wg showconf $IFA lacks the preshared key"
    fi
    ip netns exec "$NSA" wg set "$IFA" peer "$PUB_B" persistent-keepalive 25 || fail "wg set $IFA failed"
    [ "$(ip netns exec "$NSA" wg show "$IFA" persistent-keepalive | cut -f2)" = 25 ] \
        || fail "wg set persistent-keepalive did not take effect"
fi

# One metric's value from a scrape of fzctl's --metrics-listen endpoint, summed over the data-path workers
# (the series is named without its worker label; 0 when it is absent).
metric() {
    ip netns exec "$NSA" curl -sf --max-time 5 "http://127.0.0.1:9586/metrics${2:-}" > "$WORK/scrape" \
        || fail "curl of the metrics endpoint failed"
    awk -v series="$1" '{ name = $1; sub(/,?worker="[0-9]+"/, "", name); sub(/\{\}$/, "", name); sub(/\{,/, "{", name) }
        name == series { total += $2; found = 1 }
        END { if (found) printf "%.0f\n", total; else print 0 }' "$WORK/scrape"
}
METRICS=""
if [ "$A_KIND" = fzctl ]; then
    UDP_IN_BEFORE=$(metric 'fz_bytes_total{direction="udp_received"}')
    TUN_OUT_BEFORE=$(metric 'fz_packets_total{direction="tun_written"}')
fi

ip netns exec "$NSB" timeout 150 python3 "$HERE/tcp_verify.py" serve 10.202.0.2 5201 "$BYTES" > "$WORK/recv.out" &
SERVER=$!
sleep 0.5
START=$(date +%s.%N)
ip netns exec "$NSA" timeout 150 python3 "$HERE/tcp_verify.py" send 10.202.0.2 5201 "$BYTES" > "$WORK/send.out" \
    || fail "TCP sender failed"
wait $SERVER || fail "TCP receiver failed"
END=$(date +%s.%N)
[ "$(cat "$WORK/send.out")" = "$(cat "$WORK/recv.out")" ] \
    || fail "TCP content differs: sent $(cat "$WORK/send.out"), received $(cat "$WORK/recv.out")"
if [ "$A_KIND" = fzctl ]; then
    UDP_IN_AFTER=$(metric 'fz_bytes_total{direction="udp_received"}')
    TUN_OUT_AFTER=$(metric 'fz_packets_total{direction="tun_written"}')
    # The TCP stream's ACKs and data crossed A both ways: both counters must have moved.
    python3 -c "import sys; sys.exit(not ($UDP_IN_AFTER > $UDP_IN_BEFORE and $TUN_OUT_AFTER > $TUN_OUT_BEFORE))" \
        || fail "metrics did not move during TCP: udp bytes in $UDP_IN_BEFORE -> $UDP_IN_AFTER, tun packets out" \
            "$TUN_OUT_BEFORE -> $TUN_OUT_AFTER"
    SESSIONS=$(metric 'fz_peers_with_session')
    python3 -c "import sys; sys.exit(not ($SESSIONS == 1))" || fail "metrics: fz_peers_with_session is $SESSIONS, not 1"
    SENT=$(metric 'fz_handshake_messages_total{direction="sent",message="initiation"}')
    GOT=$(metric 'fz_handshake_messages_total{direction="received",message="initiation"}')
    python3 -c "import sys; sys.exit(not ($SENT + $GOT >= 1))" || fail "metrics count no handshake initiation"
    [ "$(metric "fz_peer_received_bytes_total{public_key=\"$PUB_B\"}" '?peers=5')" != 0 ] \
        || fail "metrics ?peers=5 lacks peer B's bytes"
    METRICS=" metrics moving (udp bytes in $UDP_IN_BEFORE -> $UDP_IN_AFTER),"
fi
RATE=$(python3 -c "print(f'{$BYTES * 8 / ($END - $START) / 1e9:.2f}')")
UAPI=""; [ "$A_KIND" = fzctl ] && UAPI=" wg show/showconf/set on A,$METRICS"
echo "PASS a=$A_KIND crypto=$CRYPTO io=$IO offloads=$OFFLOADS psk=$PSK initiator=$INITIATOR: handshake, ping v4/v6 both ways,$UAPI" \
    "$BYTES bytes TCP verified ($(cut -d' ' -f2 "$WORK/recv.out" | cut -c1-16)..., $RATE Gbit/s)"
