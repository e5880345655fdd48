#!/usr/bin/env bash
# Generate a Notary v1 fixture repository with the REAL Go notary CLI against a
# throwaway local stack (scripts/stack.sh), and copy the served metadata, the
# (encrypted, throwaway) private keys and the CLI's own view of the result into OUTDIR.
#
# Usage: scripts/make-fixtures.sh OUTDIR        (for the repo: fixtures/notary-cli)
#   KEEP_WORK=1   keep the temporary work dir (stack logs, trust dirs) for inspection
#
# Repositories produced:
#   localhost:5000/fixtures/app          snapshot key server-managed, two delegations
#                                        (targets/releases all paths, targets/qa paths "qa/"),
#                                        custom data, awkward names, addhash, a removed target;
#                                        client-signed metadata written with TZ=UTC ("...Z").
#   localhost:5000/fixtures/client-snap  snapshot key held by the client; client-signed
#                                        metadata written with TZ=Asia/Kolkata ("...+05:30").
#
# Every command run is appended to OUTDIR/commands.txt (relative to the work dir, with
# "$NOTARY_URL" / "$NOTARY_CA" placeholders); scripts/lib/fixture_manifest.py then
# cross-checks metadata <-> inputs <-> `notary list` output and writes manifest.json + README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# = 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT="$(realpath -m "$1")"   # absolute: we cd into the work dir below

GUN=localhost:5000/fixtures/app
GUN2=localhost:5000/fixtures/client-snap

# Refuse to clobber a directory we did not generate.
if [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ] &&
   ! grep -qs '"generated_by": "scripts/make-fixtures.sh"' "$OUT/manifest.json"; then
  echo "refusing to overwrite non-fixture directory $OUT" >&2
  exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/notary-fixtures.XXXXXX")"
cleanup() {
  local rc=$?
  "$HERE/stack.sh" down "$WORK/stack" || true
  if [ "${KEEP_WORK:-0}" = 1 ] || [ "$rc" != 0 ]; then
    echo "work dir kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT

"$HERE/stack.sh" up "$WORK/stack" >/dev/null
# shellcheck disable=SC1091
. "$WORK/stack/env"

export NOTARY_ROOT_PASSPHRASE=rootpass
export NOTARY_TARGETS_PASSPHRASE=targetspass
export NOTARY_SNAPSHOT_PASSPHRASE=snapshotpass
export NOTARY_DELEGATION_PASSPHRASE=delegpass
export TZ=UTC

# Layout of the work dir (all commands run from $WORK with relative paths):
#   trust/            the publisher's trust dir (keys + its cache)
#   fresh/            a reader's trust dir that only ever ran list/lookup
#   files/            target payloads and --custom inputs       (copied to OUT)
#   delegation-keys/  delegation public key PEM + certificate   (copied to OUT)
#   secret/           plaintext intermediates, never copied
#   out/              OUT being assembled
cd "$WORK"
mkdir -p files delegation-keys secret out/cli
STAGE="$WORK/out"
CMDS="$STAGE/commands.txt"
EXPECT="$WORK/expected.tsv"   # gun role name kind src length custom state
: >"$EXPECT"

# ---------------------------------------------------------------- helpers

# q ARG: shell-quote ARG for the command log, with stack values as placeholders.
# shellcheck disable=SC2016  # the placeholders are meant to stay unexpanded
q() {
  case "$1" in
    "$NOTARY_URL") printf '"$NOTARY_URL"' ;;
    "$NOTARY_CA") printf '"$NOTARY_CA"' ;;
    *[!A-Za-z0-9_./:=@%+,-]* | '') printf "'%s'" "${1//\'/\'\\\'\'}" ;;
    *) printf '%s' "$1" ;;
  esac
}

# logcmd ARGS...: append one command line to commands.txt (notary ones prefixed with
# the TZ in effect, which decides the offset of client-written expiry times)
logcmd() {
  local a line=""
  [ "$1" = notary ] && line="TZ=$TZ "
  for a in "$@"; do line+="$(q "$a") "; done
  line="${line% }"
  printf '%s\n' "$line" >>"$CMDS"
  printf '+ %s\n' "$line" >&2
}

run() { logcmd "$@"; "$@"; }

# nt TRUSTDIR ARGS...: the real notary CLI against the stack
nt() {
  local td=$1
  shift
  run notary -s "$NOTARY_URL" --tlscacert "$NOTARY_CA" -d "$td" "$@"
}

# capture FILE TRUSTDIR ARGS...: like nt, but stdout goes to FILE (relative to OUT)
capture() {
  local f=$1 td=$2
  shift 2
  logcmd notary -s "$NOTARY_URL" --tlscacert "$NOTARY_CA" -d "$td" "$@"
  printf '    > %s\n' "$f" >>"$CMDS"
  mkdir -p "$(dirname "$STAGE/$f")"
  notary -s "$NOTARY_URL" --tlscacert "$NOTARY_CA" -d "$td" "$@" >"$STAGE/$f"
  # the CLI prints absolute trust-dir paths (key list LOCATION); make them relative
  # (LOCATION may also be shortened to ".../<basename of work dir>/trust/private")
  sed -i -e "s#$WORK/##g" -e "s#\.\.\./$(basename "$WORK")/##g" "$STAGE/$f"
}

# expect GUN ROLE NAME file PATH [CUSTOM] | expect GUN ROLE NAME hash SHA256HEX LENGTH [CUSTOM]
expect_file() { printf '%s\t%s\t%s\tfile\t%s\t\t%s\tpresent\n' "$1" "$2" "$3" "$4" "${5:-}" >>"$EXPECT"; }
expect_hash() { printf '%s\t%s\t%s\thash\t%s\t%s\t%s\tpresent\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" >>"$EXPECT"; }
expect_removed() { printf '%s\t%s\t%s\t\t\t\t\tremoved\n' "$1" "$2" "$3" >>"$EXPECT"; }

# add GUN ROLE NAME FILE [CUSTOM]: stage a target from a file (and remember what to expect)
add() {
  local gun=$1 role=$2 name=$3 file=$4 custom=${5:-} args=()
  [ "$role" = targets ] || args+=(-r "$role")
  [ -n "$custom" ] && args+=(--custom "$custom")
  nt trust add "$gun" "$name" "$file" "${args[@]}"
  expect_file "$gun" "$role" "$name" "$file" "$custom"
}

# ---------------------------------------------------------------- inputs

printf 'hello from notary fixtures\n' >files/hello.txt
printf 'targets-level copy of shared\n' >files/shared-top.txt
printf 'releases copy of shared\n' >files/shared-releases.txt
printf 'ünïcödé payload: café\n' >files/cafe.txt
printf '<html>&amp;</html>\n' >files/angle.txt
printf 'to be removed\n' >files/obsolete.txt
printf 'release 1.0\n' >files/v1.0.txt
printf 'release 2.0\n' >files/v2.0.txt
printf 'qa build 1\n' >files/qa-build-1.txt
printf 'qa/shared as signed by targets/releases\n' >files/qa-shared-releases.txt
printf 'qa/shared as signed by targets/qa\n' >files/qa-shared-qa.txt
printf 'client-snapshot repo readme\n' >files/readme.txt
: >files/empty.txt
# --custom inputs. Whitespace/newlines are fine (the CLI compacts them), but the object
# must already be in canonical form otherwise (sorted keys, no floats/exponents, no
# escapes the Go canonical encoder would write differently, no <>&): the server
# re-canonicalises and rejects the targets signature ("valid signatures did not meet
# threshold for targets") if the bytes differ.  See README.md.
printf '{\n  "a": {"nested": true},\n  "b": 1\n}\n' >files/custom-hello.json
printf '{"build":{"id":42,"tags":["stable","lts"]},"by":"café-ü","ok":null}' >files/custom-v1.json
printf '"just a string"' >files/custom-string.json

# ---------------------------------------------------------------- repo 1: server-managed snapshot

# 1. init; hand the snapshot key to the server (rotate publishes immediately); publish
nt trust init "$GUN"
nt trust key rotate "$GUN" snapshot -r
nt trust publish "$GUN"

# 2. delegation keys.
#    targets/releases: `notary key generate -o` (public key PEM "PUBLIC KEY" with a role
#    header -> metadata keytype "ecdsa"). Its encrypted -key.pem cannot be imported as is
#    (notary 0.7: "key may be encrypted and does not contain path header"), so decrypt
#    it with openssl and import the plaintext PKCS#8; notary re-encrypts it (delegpass).
nt trust key generate ecdsa --role targets/releases -o secret/releases
run cp secret/releases.pem delegation-keys/releases.pem
logcmd sh -c "grep -v -e '^[A-Za-z-]*: ' -e '^\$' secret/releases-key.pem | openssl pkcs8 -passin pass:delegpass -out secret/releases-plain.pem"
grep -v -e '^[A-Za-z-]*: ' -e '^$' secret/releases-key.pem |
  openssl pkcs8 -passin pass:delegpass -out secret/releases-plain.pem
nt trust key import secret/releases-plain.pem --role targets/releases
#    targets/qa: openssl P-256 key + self-signed certificate (metadata keytype "ecdsa-x509")
run openssl ecparam -name prime256v1 -genkey -noout -out secret/qa.key
run openssl req -x509 -new -key secret/qa.key -sha256 -days 3650 -subj /CN=fixtures-qa \
  -out delegation-keys/qa.crt
nt trust key import secret/qa.key --role targets/qa

nt trust delegation add "$GUN" targets/releases delegation-keys/releases.pem --all-paths
nt trust delegation add "$GUN" targets/qa delegation-keys/qa.crt --paths qa/
nt trust publish "$GUN"

# 3. top-level targets
add "$GUN" targets hello files/hello.txt files/custom-hello.json
add "$GUN" targets 'café-ü' files/cafe.txt
add "$GUN" targets 'a<b&c>d' files/angle.txt files/custom-string.json
add "$GUN" targets shared files/shared-top.txt
add "$GUN" targets obsolete files/obsolete.txt
add "$GUN" targets empty files/empty.txt
KNOWN_SHA256="$(printf 'not really stored anywhere' | sha256sum | cut -d' ' -f1)"
KNOWN_SHA512="$(printf 'not really stored anywhere' | sha512sum | cut -d' ' -f1)"
nt trust addhash "$GUN" known-hash 26 --sha256 "$KNOWN_SHA256" --sha512 "$KNOWN_SHA512"
expect_hash "$GUN" targets known-hash "$KNOWN_SHA256:$KNOWN_SHA512" 26
nt trust publish "$GUN"

# 4. targets/releases (all paths); "shared" also exists top-level (top-level wins),
#    "qa/shared" also exists in targets/qa (releases is listed first, so it wins)
add "$GUN" targets/releases v1.0 files/v1.0.txt files/custom-v1.json
add "$GUN" targets/releases v2.0 files/v2.0.txt
add "$GUN" targets/releases shared files/shared-releases.txt
add "$GUN" targets/releases qa/shared files/qa-shared-releases.txt
REL_SHA256="$(printf '%064d' 0 | tr 0 a)"
nt trust addhash "$GUN" releases/known 1234 --sha256 "$REL_SHA256" -r targets/releases
expect_hash "$GUN" targets/releases releases/known "$REL_SHA256" 1234
nt trust publish "$GUN"

# 5. targets/qa (paths "qa/")
add "$GUN" targets/qa qa/build-1 files/qa-build-1.txt
add "$GUN" targets/qa qa/shared files/qa-shared-qa.txt
nt trust publish "$GUN"

# 6. remove a top-level target (targets v+1)
nt trust remove "$GUN" obsolete
awk -F'\t' -v g="$GUN" '!($1 == g && $2 == "targets" && $3 == "obsolete")' "$EXPECT" >"$EXPECT.new"
mv "$EXPECT.new" "$EXPECT"
expect_removed "$GUN" targets obsolete
nt trust publish "$GUN"

# ---------------------------------------------------------------- repo 2: client-held snapshot

# Client-signed expiries carry the local offset: write this one in +05:30.
# (notary init reuses the root key already in trust/private -> same root private key,
#  different root certificate, hence different root key ID in root.json.)
export TZ=Asia/Kolkata
nt trust init "$GUN2"
nt trust publish "$GUN2"
add "$GUN2" targets readme files/readme.txt
nt trust publish "$GUN2"
export TZ=UTC

# ---------------------------------------------------------------- reader's view

# A fresh trust dir that only reads: its cache then holds exactly what the server served.
slug() { printf '%s' "$1" | tr ':/' '__'; }
S1="$(slug "$GUN")" S2="$(slug "$GUN2")"
capture "cli/$S1/list.txt" fresh list "$GUN"
capture "cli/$S1/list-targets.txt" fresh list "$GUN" -r targets
capture "cli/$S1/list-targets_releases.txt" fresh list "$GUN" -r targets/releases
capture "cli/$S1/list-targets_qa.txt" fresh list "$GUN" -r targets/qa
capture "cli/$S1/delegation-list.txt" fresh delegation list "$GUN"
: >"$STAGE/cli/$S1/lookup.txt"
for name in hello 'café-ü' 'a<b&c>d' shared empty known-hash v1.0 v2.0 releases/known \
            qa/shared qa/build-1; do
  logcmd notary -s "$NOTARY_URL" --tlscacert "$NOTARY_CA" -d fresh lookup "$GUN" "$name"
  printf '    >> %s\n' "cli/$S1/lookup.txt" >>"$CMDS"
  notary -s "$NOTARY_URL" --tlscacert "$NOTARY_CA" -d fresh lookup "$GUN" "$name" \
    >>"$STAGE/cli/$S1/lookup.txt"
done
capture "cli/$S2/list.txt" fresh list "$GUN2"
capture "cli/$S2/list-targets.txt" fresh list "$GUN2" -r targets
capture "cli/$S2/delegation-list.txt" fresh delegation list "$GUN2"
capture key-list.txt trust key list

# ---------------------------------------------------------------- assemble + verify

for g in "$GUN" "$GUN2"; do
  src="fresh/tuf/$g/metadata"
  dst="$STAGE/trust/tuf/$g/metadata"
  mkdir -p "$dst"
  cp -r "$src/." "$dst/"
  # the cached files must be byte-identical to what the server serves now
  while IFS= read -r f; do
    rel="${f#"$src"/}"
    curl -sf --cacert "$NOTARY_CA" "$NOTARY_URL/v2/$g/_trust/tuf/$rel" -o "$WORK/served.json"
    cmp -s "$WORK/served.json" "$f" || { echo "cache differs from server: $g $rel" >&2; exit 1; }
    [ -n "$(tail -c1 "$f")" ] || { echo "unexpected trailing newline: $g/$rel" >&2; exit 1; }
  done < <(find "$src" -name '*.json' -type f | sort)
done
mkdir -p "$STAGE/trust/private"
cp trust/private/*.key "$STAGE/trust/private/"
cp -r files delegation-keys "$STAGE/"
cp "$EXPECT" "$STAGE/expected-targets.tsv"
cat >"$STAGE/passphrases.txt" <<'EOF'
# role -> passphrase of the encrypted keys in trust/private (PEM header "role:")
root rootpass
targets targetspass
snapshot snapshotpass
targets/releases delegpass
targets/qa delegpass
EOF

python3 "$HERE/lib/fixture_manifest.py" "$STAGE" \
  --gun "$GUN=server" --gun "$GUN2=client" \
  --notary-version "$(dpkg-query -W -f '${Version}' notary 2>/dev/null || echo unknown)" \
  --go-version "$(notary version | sed -n 's/^ *Go version: *//p')"

# Replace OUT only once everything succeeded.
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
cp -r "$STAGE" "$OUT"
echo "fixtures written to $OUT" >&2
