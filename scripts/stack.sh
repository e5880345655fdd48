#!/usr/bin/env bash
# Throwaway local "real" Notary v1 stack on loopback, for tests and fixture generation.
#
#   notary-signer (gRPC/TLS, memory store, mTLS)  <-  notary-server (HTTPS, memory store)
#   docker-registry serve (plain HTTP, filesystem storage in DIR/registry-data: distribution's
#     inmemory driver copies a blob on every write, which makes a 1 GiB upload take hours)
#   [AUTH=token] scripts/lib/token_issuer.py (plain HTTP JWT issuer; server + registry require Bearer)
#
# Usage:
#   scripts/stack.sh up DIR       start a stack whose state lives in DIR, then: . DIR/env
#   scripts/stack.sh down DIR     stop exactly the PIDs recorded in DIR/pids (idempotent)
#   scripts/stack.sh status DIR   exit 0 iff every recorded process is alive
#
# Every stack uses free ephemeral ports on 127.0.0.1 and keeps all state (PKI, configs,
# logs, pids, env) inside DIR, so several stacks can run in parallel in different DIRs.
#
# Environment for `up`:
#   AUTH=none|token   token: start the token issuer and require Bearer tokens (default none)
#   TOKEN_BASIC=u:p   token mode only: the issuer demands this Basic credential (default:
#                     anyone gets a token). NB the Go notary 0.7 CLI sends NOTARY_AUTH
#                     (base64 "user:pass") only for push; its read-only commands (list,
#                     lookup) fetch tokens anonymously, so they fail when this is set.
#   NOTARY_LOG_LEVEL  notary-server/-signer log level (default info)
#
# DIR/env exports: STACK_DIR NOTARY_URL NOTARY_CA NOTARY_PORT SIGNER_PORT REGISTRY_URL
#   REGISTRY_HOST REGISTRY_PORT STACK_AUTH, and in token mode TOKEN_URL TOKEN_PORT TOKEN_BASIC.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() { echo "usage: $0 up|down|status DIR" >&2; exit 2; }

log() { echo "stack.sh: $*" >&2; }

# ---------------------------------------------------------------- helpers

# alive DIR: true iff DIR/pids is non-empty and every PID in it is running.
alive() {
  local d=$1 p
  [ -s "$d/pids" ] || return 1
  while read -r p; do
    [ -n "$p" ] || continue
    running "$p" || return 1
  done <"$d/pids"
}

# running PID: alive and not a zombie (an exited server stays a zombie until PID 1 reaps it,
# which can take seconds in a container; it holds no port and no file).
running() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
  [ "$state" != Z ]
}

# stop DIR: SIGTERM every recorded PID, wait up to ~5s, then SIGKILL leftovers.
stop() {
  local d=$1 p i
  if [ ! -f "$d/pids" ]; then
    return 0
  fi
  while read -r p; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done <"$d/pids"
  for i in $(seq 50); do
    local any=0
    while read -r p; do
      [ -n "$p" ] && running "$p" && any=1
    done <"$d/pids"
    [ "$any" = 0 ] && break
    [ "$i" = 50 ] || sleep 0.1
  done
  while read -r p; do
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
  done <"$d/pids"
  rm -f "$d/pids"
}

show_logs() {
  local d=$1 f
  for f in "$d"/log/*.log; do
    [ -f "$f" ] || continue
    echo "----- tail $f" >&2
    tail -n 20 "$f" >&2
  done
}

ensure_packages() {
  local missing=()
  command -v notary-server >/dev/null 2>&1 || missing+=(notary)
  command -v notary-signer >/dev/null 2>&1 || missing+=(notary)
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  [ "${#missing[@]}" = 0 ] && return 0
  [ "$(id -u)" = 0 ] || { log "need root to apt-get install ${missing[*]}"; exit 1; }
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# gen_pki TLSDIR: one CA, one leaf (SAN localhost/127.0.0.1, serverAuth+clientAuth) used
# for notary-server HTTPS, notary-signer gRPC and server->signer mTLS; plus a
# self-signed token-signing key/cert (the servers' token "rootcertbundle").
gen_pki() {
  local t=$1
  [ -f "$t/token.crt" ] && return 0
  mkdir -p "$t"
  (
    cd "$t"
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=notary-client test CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out server.key 2>/dev/null
    openssl req -new -key server.key -subj "/CN=localhost" -out server.csr 2>/dev/null
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      "extendedKeyUsage=serverAuth,clientAuth" \
      "keyUsage=critical,digitalSignature,keyEncipherment" \
      "basicConstraints=critical,CA:FALSE" >leaf.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -sha256 -extfile leaf.ext -out server.crt 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out token.key 2>/dev/null
    openssl req -x509 -new -key token.key -sha256 -days 3650 -subj "/CN=token-issuer" \
      -out token.crt 2>/dev/null
    chmod 600 ./*.key
  )
}

# free_ports N: print N distinct free TCP ports on 127.0.0.1 (all bound at once, then released).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

# start DIR NAME CMD...: run CMD in its own session (survives the caller's process group),
# output to DIR/log/NAME.log, and append its PID to DIR/pids.
start() {
  local d=$1 name=$2 pidf
  shift 2
  pidf="$d/log/$name.pid"
  rm -f "$pidf"
  # the inner bash writes its own PID, then execs CMD, so the PID is exactly CMD's
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" \
    </dev/null >"$d/log/$name.log" 2>&1 &
  local i
  for i in $(seq 50); do
    [ -s "$pidf" ] && break
    sleep 0.05
  done
  [ -s "$pidf" ] || { log "could not start $name"; return 1; }
  cat "$pidf" >>"$d/pids"
  rm -f "$pidf"
}

# wait_port DIR PORT: wait until 127.0.0.1:PORT accepts, failing early if a process died.
wait_port() {
  local d=$1 port=$2 i
  for i in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    alive "$d" || return 1
    sleep 0.1
  done
  return 1
}

write_configs() {
  local d=$1
  cat >"$d/signer.json" <<EOF
{
  "server": {
    "grpc_addr": "127.0.0.1:$SIGNER_PORT",
    "tls_cert_file": "$d/tls/server.crt",
    "tls_key_file": "$d/tls/server.key",
    "client_ca_file": "$d/tls/ca.crt"
  },
  "logging": { "level": "${NOTARY_LOG_LEVEL:-info}" },
  "storage": { "backend": "memory" }
}
EOF

  local auth_json=""
  if [ "$AUTH" = token ]; then
    auth_json=',
  "auth": {
    "type": "token",
    "options": {
      "realm": "http://127.0.0.1:'"$TOKEN_PORT"'/token",
      "service": "notary-server",
      "issuer": "test-issuer",
      "rootcertbundle": "'"$d"'/tls/token.crt",
      "autoredirect": false
    }
  }'
  fi
  cat >"$d/server.json" <<EOF
{
  "server": {
    "http_addr": "127.0.0.1:$NOTARY_PORT",
    "tls_cert_file": "$d/tls/server.crt",
    "tls_key_file": "$d/tls/server.key"
  },
  "trust_service": {
    "type": "remote",
    "hostname": "127.0.0.1",
    "port": "$SIGNER_PORT",
    "tls_ca_file": "$d/tls/ca.crt",
    "tls_client_cert": "$d/tls/server.crt",
    "tls_client_key": "$d/tls/server.key",
    "key_algorithm": "ecdsa"
  },
  "logging": { "level": "${NOTARY_LOG_LEVEL:-info}" },
  "storage": { "backend": "memory" }$auth_json
}
EOF

  cat >"$d/registry.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $d/registry-data
  delete:
    enabled: true
http:
  addr: "127.0.0.1:$REGISTRY_PORT"
  secret: throwaway-$RANDOM$RANDOM
EOF
  if [ "$AUTH" = token ]; then
    cat >>"$d/registry.yml" <<EOF
auth:
  token:
    realm: "http://127.0.0.1:$TOKEN_PORT/token"
    service: registry
    issuer: test-issuer
    rootcertbundle: "$d/tls/token.crt"
EOF
  fi
}

write_env() {
  local d=$1
  {
    echo "export STACK_DIR='$d'"
    echo "export STACK_AUTH='$AUTH'"
    echo "export NOTARY_URL='https://127.0.0.1:$NOTARY_PORT'"
    echo "export NOTARY_CA='$d/tls/ca.crt'"
    echo "export NOTARY_PORT='$NOTARY_PORT'"
    echo "export SIGNER_PORT='$SIGNER_PORT'"
    echo "export REGISTRY_URL='http://127.0.0.1:$REGISTRY_PORT'"
    echo "export REGISTRY_HOST='localhost:$REGISTRY_PORT'"
    echo "export REGISTRY_PORT='$REGISTRY_PORT'"
    if [ "$AUTH" = token ]; then
      echo "export TOKEN_URL='http://127.0.0.1:$TOKEN_PORT/token'"
      echo "export TOKEN_PORT='$TOKEN_PORT'"
      echo "export TOKEN_BASIC='${TOKEN_BASIC:-}'"
    fi
  } >"$d/env.tmp"
  mv "$d/env.tmp" "$d/env"
}

# try_start DIR: one attempt with fresh ports; returns non-zero (and stops what it
# started) if anything fails to come up, e.g. because a port got taken meanwhile.
try_start() {
  local d=$1
  read -r NOTARY_PORT SIGNER_PORT REGISTRY_PORT TOKEN_PORT <<<"$(free_ports 4)"
  write_configs "$d"
  : >"$d/pids"
  start "$d" signer notary-signer -config "$d/signer.json" || return 1
  # the server dials the signer once at startup; if that fails early requests get 500s
  wait_port "$d" "$SIGNER_PORT" || { log "notary-signer did not come up"; return 1; }
  if [ "$AUTH" = token ]; then
    export TOKEN_BASIC="${TOKEN_BASIC:-}"
    start "$d" token \
      python3 "$HERE/lib/token_issuer.py" "$TOKEN_PORT" "$d/tls/token.key" "$d/tls/token.crt" \
      || return 1
    wait_port "$d" "$TOKEN_PORT" || { log "token issuer did not come up"; return 1; }
  fi
  start "$d" server notary-server -config "$d/server.json" || return 1
  start "$d" registry docker-registry serve "$d/registry.yml" || return 1

  local i
  for i in $(seq 150); do
    alive "$d" || { log "a process exited during startup"; return 1; }
    # health needs no auth even in token mode; registry /v2/ answers 200 or 401
    if curl --noproxy "*" -sf --cacert "$d/tls/ca.crt" -o /dev/null \
         "https://127.0.0.1:$NOTARY_PORT/_notary_server/health" &&
       curl --noproxy "*" -s -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/v2/"; then
      return 0
    fi
    sleep 0.1
  done
  log "health checks timed out"
  return 1
}

# ---------------------------------------------------------------- commands

cmd_up() {
  local d=$1 attempt
  mkdir -p "$d/log"
  d="$(cd "$d" && pwd)"
  AUTH="${AUTH:-none}"
  case "$AUTH" in none | token) ;; *) log "AUTH must be none or token"; exit 2 ;; esac

  if alive "$d"; then
    log "stack already up in $d"
    cat "$d/env"
    return 0
  fi
  stop "$d" # leftovers from a half-dead stack

  ensure_packages
  gen_pki "$d/tls"

  for attempt in 1 2 3; do
    if try_start "$d"; then
      write_env "$d"
      log "stack up in $d (auth=$AUTH)"
      cat "$d/env"
      return 0
    fi
    log "attempt $attempt failed"
    show_logs "$d"
    stop "$d"
  done
  log "stack failed to start; logs in $d/log"
  exit 1
}

cmd_down() {
  local d=$1
  [ -d "$d" ] || return 0
  stop "$d"
  rm -f "$d/env"
}

[ $# = 2 ] || usage
case "$1" in
  up) cmd_up "$2" ;;
  down) cmd_down "$2" ;;
  status) alive "$2" ;;
  *) usage ;;
esac
