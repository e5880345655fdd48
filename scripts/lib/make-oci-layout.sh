#!/usr/bin/env bash
# Builds a tiny single-layer OCI image layout with plain shell tools (no docker, no buildah):
#
#   scripts/lib/make-oci-layout.sh DIR [REF_NAME] [MESSAGE]
#
# DIR (created; must not exist or be empty) gets `oci-layout`, `index.json` and
# `blobs/sha256/…`: one uncompressed layer (`/hello.txt` containing MESSAGE), an image config
# (architecture, os, rootfs.diff_ids) and an `application/vnd.oci.image.manifest.v1+json`
# manifest, named REF_NAME (default `latest`) by `org.opencontainers.image.ref.name` in
# index.json. Prints the manifest's digest (`sha256:…`) on stdout. The layer's tar is
# reproducible (sorted, owner 0, mtime 0), so the same MESSAGE gives the same digest with the
# same GNU tar.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  echo "usage: $0 DIR [REF_NAME] [MESSAGE]" >&2
  exit 2
fi
dir=$1
ref_name=${2:-latest}
message=${3:-hello from notary-client}

if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
  echo "$0: $dir exists and is not empty" >&2
  exit 1
fi
mkdir -p "$dir/blobs/sha256"

# add_blob FILE: move FILE into blobs/sha256/<digest>; sets blob_digest and blob_size.
add_blob() {
  blob_digest=$(sha256sum "$1" | cut -d' ' -f1)
  blob_size=$(wc -c <"$1" | tr -d ' ')
  mv "$1" "$dir/blobs/sha256/$blob_digest"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. The layer: an uncompressed tar of a root filesystem holding one file.
mkdir "$tmp/rootfs"
printf '%s\n' "$message" >"$tmp/rootfs/hello.txt"
chmod 644 "$tmp/rootfs/hello.txt"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=gnu \
  -C "$tmp/rootfs" -cf "$tmp/layer.tar" hello.txt
add_blob "$tmp/layer.tar"
layer_digest=$blob_digest layer_size=$blob_size

# 2. The image config: uncompressed layer, so its diff_id is its digest.
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/hello.txt"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"scripts/lib/make-oci-layout.sh"}]}' \
  "$layer_digest" >"$tmp/config.json"
add_blob "$tmp/config.json"
config_digest=$blob_digest config_size=$blob_size

# 3. The image manifest.
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$tmp/manifest.json"
add_blob "$tmp/manifest.json"
manifest_digest=$blob_digest manifest_size=$blob_size

# 4. The layout's index and marker file.
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}\n' \
  "$manifest_digest" "$manifest_size" "$ref_name" >"$dir/index.json"
printf '{"imageLayoutVersion":"1.0.0"}\n' >"$dir/oci-layout"

echo "sha256:$manifest_digest"
