#!/usr/bin/env python3
"""Cross-check a fixture dir produced by scripts/make-fixtures.sh and write
manifest.json + README.md into it.  Python 3 stdlib + the `openssl` CLI.

Checks (any failure -> exit 1):
  * every metadata file is compact (no newline at all, no trailing newline) and its
    "signed" object appears verbatim in Go-canonical form right after '{"signed":'
  * every expected target (expected-targets.tsv, written while running the CLI) is in
    its role's metadata with the right length / sha256 / sha512 / custom, removed
    ones are absent, and there are no unexpected targets
  * `notary list [-r ROLE]` and `notary lookup` output agree with the metadata
    (including which role wins for names present in several roles)
  * every private key decrypts with its role's passphrase, its file name is its
    canonical key ID, and it is matched to the key IDs that metadata uses for it

Usage: fixture_manifest.py DIR --gun GUN=server|client ... --notary-version V --go-version V
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys

PASSPHRASES = {"root": "rootpass", "targets": "targetspass", "snapshot": "snapshotpass"}
DELEGATION_PASSPHRASE = "delegpass"

errors = []


def fail(msg):
    errors.append(msg)
    print("fixture check FAILED: " + msg, file=sys.stderr)


def go_canonical(obj):
    """Serialise like github.com/docker/go/canonical/json (what notary signs):
    sorted keys, no whitespace, UTF-8 kept raw, <>& and U+2028/U+2029 escaped."""
    s = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        s = s.replace(ch, esc)
    return s


def sha256_hex(b):
    return hashlib.sha256(b).hexdigest()


def b64hex(s):
    return base64.b64decode(s).hex()


def openssl(args, data=None):
    return subprocess.run(["openssl"] + args, input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=True).stdout


def key_id(keytype, public_b64):
    return sha256_hex(go_canonical(
        {"keytype": keytype, "keyval": {"private": None, "public": public_b64}}).encode())


def spki_of_key(keytype, public_b64):
    """SubjectPublicKeyInfo DER (base64) of a TUF public key (ecdsa or ecdsa-x509)."""
    raw = base64.b64decode(public_b64)
    if keytype.endswith("-x509"):
        pem = openssl(["x509", "-pubkey", "-noout"], raw)
        return base64.b64encode(openssl(["pkey", "-pubin", "-outform", "DER"], pem)).decode()
    return base64.b64encode(raw).decode()


def parse_table(path):
    """Parse a notary CLI table (header, dashes, rows) into lists of columns.
    Columns are split on runs of >=2 spaces; the first column may contain single spaces."""
    rows = []
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f]
    seen_dash = False
    for line in lines:
        if not line.strip():
            continue
        if line.lstrip().startswith("----"):
            seen_dash = True
            continue
        if seen_dash:
            rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


def load_metadata(base, gun):
    mdir = os.path.join(base, "trust", "tuf", gun, "metadata")
    out = {}
    for root, _, files in os.walk(mdir):
        for fn in files:
            if not fn.endswith(".json"):
                continue
            path = os.path.join(root, fn)
            rel = os.path.relpath(path, mdir)
            raw = open(path, "rb").read()
            doc = json.loads(raw)
            role = rel[:-len(".json")]
            out[role] = {"raw": raw, "doc": doc, "rel": rel}
            if b"\n" in raw:
                fail("%s/%s contains a newline" % (gun, rel))
            prefix = '{"signed":' + go_canonical(doc["signed"]) + ',"signatures":'
            if not raw.decode("utf-8").startswith(prefix):
                fail("%s/%s: signed part is not Go-canonical verbatim" % (gun, rel))
    return out


def target_entry_check(gun, role, name, meta_t, exp, base):
    if exp["kind"] == "file":
        data = open(os.path.join(base, exp["src"]), "rb").read()
        want = {"length": len(data), "sha256": sha256_hex(data),
                "sha512": hashlib.sha512(data).hexdigest()}
    else:
        # src is "SHA256HEX" or "SHA256HEX:SHA512HEX" (the hashes given to addhash)
        hexes = exp["src"].split(":")
        want = {"length": int(exp["length"]), "sha256": hexes[0]}
        if len(hexes) > 1:
            want["sha512"] = hexes[1]
    got = {"length": meta_t["length"], "sha256": b64hex(meta_t["hashes"]["sha256"])}
    if "sha512" in meta_t["hashes"]:
        got["sha512"] = b64hex(meta_t["hashes"]["sha512"])
    if got != want:
        fail("%s %s %r: metadata %r != expected %r" % (gun, role, name, got, want))
    if exp["custom"]:
        cust = json.load(open(os.path.join(base, exp["custom"]), encoding="utf-8"))
        if meta_t.get("custom") != cust:
            fail("%s %s %r: custom %r != %r" % (gun, role, name, meta_t.get("custom"), cust))
    elif "custom" in meta_t:
        fail("%s %s %r: unexpected custom" % (gun, role, name))
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--gun", action="append", required=True)
    ap.add_argument("--notary-version", default="unknown")
    ap.add_argument("--go-version", default="unknown")
    args = ap.parse_args()
    base = args.dir

    expected = []
    with open(os.path.join(base, "expected-targets.tsv"), encoding="utf-8") as f:
        for line in f:
            gun, role, name, kind, src, length, custom, state = line.rstrip("\n").split("\t")
            expected.append(dict(gun=gun, role=role, name=name, kind=kind, src=src,
                                 length=length, custom=custom, state=state))

    repos = []
    all_meta_keys = []  # (gun, role-or-delegation, keyid, keytype, spki)
    for spec in args.gun:
        gun, snap_mode = spec.rsplit("=", 1)
        slug = gun.replace(":", "_").replace("/", "_")
        meta = load_metadata(base, gun)
        root = meta["root"]["doc"]["signed"]
        targets_doc = meta["targets"]["doc"]["signed"]
        delegations = targets_doc.get("delegations", {"keys": {}, "roles": []})

        # key ids used by metadata
        for kid, k in root["keys"].items():
            if key_id(k["keytype"], k["keyval"]["public"]) != kid:
                fail("%s root.json key id %s is not sha256(canonical key)" % (gun, kid))
            roles = [r for r, v in root["roles"].items() if kid in v["keyids"]]
            all_meta_keys.append((gun, ",".join(roles), kid, k["keytype"],
                                  spki_of_key(k["keytype"], k["keyval"]["public"])))
        for kid, k in delegations["keys"].items():
            if key_id(k["keytype"], k["keyval"]["public"]) != kid:
                fail("%s delegation key id %s is not sha256(canonical key)" % (gun, kid))
            roles = [r["name"] for r in delegations["roles"] if kid in r["keyids"]]
            all_meta_keys.append((gun, ",".join(roles), kid, k["keytype"],
                                  spki_of_key(k["keytype"], k["keyval"]["public"])))

        # targets per role vs expectations
        role_order = ["targets"] + [r["name"] for r in delegations["roles"]]
        per_role = {}
        for role in role_order:
            if role not in meta:
                fail("%s: no metadata for %s" % (gun, role))
                continue
            mt = meta[role]["doc"]["signed"]["targets"]
            exp_here = {e["name"]: e for e in expected if e["gun"] == gun and e["role"] == role}
            per_role[role] = {}
            for name, e in exp_here.items():
                if e["state"] == "removed":
                    if name in mt:
                        fail("%s %s %r should have been removed" % (gun, role, name))
                    continue
                if name not in mt:
                    fail("%s %s %r missing from metadata" % (gun, role, name))
                    continue
                got = target_entry_check(gun, role, name, mt[name], e, base)
                entry = dict(got)
                if "custom" in mt[name]:
                    entry["custom"] = mt[name]["custom"]
                entry["source"] = e["src"] if e["kind"] == "file" else "addhash"
                per_role[role][name] = entry
            for name in mt:
                if name not in exp_here:
                    fail("%s %s: unexpected target %r" % (gun, role, name))

        # `notary list [-r ROLE]`: walks the delegation tree starting at ROLE (so `-r targets`
        # is everything); first role in pre-order (targets, then delegations in listed
        # order) that has a name wins.
        def resolve(start):
            res = {}
            for role in role_order:
                if role == start or role.startswith(start + "/"):
                    for name, t in per_role.get(role, {}).items():
                        res.setdefault(name, {"role": role, "sha256": t["sha256"], "length": t["length"]})
            return res

        cli = os.path.join(base, "cli", slug)
        for role in role_order:
            path = os.path.join(cli, "list-%s.txt" % role.replace("/", "_"))
            if not os.path.exists(path):
                continue
            want = resolve(role)
            rows = {r[0]: r for r in parse_table(path)}
            if set(rows) != set(want):
                fail("%s: %s lists %s, expected %s" % (gun, path, sorted(rows), sorted(want)))
            for name, r in rows.items():
                w = want.get(name)
                if w and (r[1], int(r[2]), r[3]) != (w["sha256"], w["length"], w["role"]):
                    fail("%s: %s row %r disagrees with %r" % (gun, path, r, w))
        resolved = resolve("targets")
        rows = {r[0]: r for r in parse_table(os.path.join(cli, "list.txt"))}
        if set(rows) != set(resolved):
            fail("%s: list.txt names %s != %s" % (gun, sorted(rows), sorted(resolved)))
        for name, r in rows.items():
            w = resolved.get(name)
            if w and (r[1], int(r[2]), r[3]) != (w["sha256"], w["length"], w["role"]):
                fail("%s: list.txt row %r != resolved %r" % (gun, r, w))
        lookup_path = os.path.join(cli, "lookup.txt")
        if os.path.exists(lookup_path):
            for line in open(lookup_path, encoding="utf-8"):
                name, digest, size = line.rstrip("\n").rsplit(" ", 2)
                w = resolved.get(name)
                if not w or digest != "sha256:" + w["sha256"] or int(size) != w["length"]:
                    fail("%s: lookup %r disagrees with resolution %r" % (gun, line, w))

        files = {}
        for role, m in sorted(meta.items()):
            s = m["doc"]["signed"]
            files[m["rel"]] = {"role": role, "type": s["_type"], "version": s["version"],
                               "expires": s["expires"], "length": len(m["raw"]),
                               "sha256": sha256_hex(m["raw"]),
                               "signature_keyids": [x["keyid"] for x in m["doc"]["signatures"]],
                               "signature_methods": sorted({x["method"] for x in m["doc"]["signatures"]})}
        repos.append({
            "gun": gun,
            "snapshot_key": snap_mode,
            "timestamp_key": "server",
            "metadata_dir": "trust/tuf/%s/metadata" % gun,
            "cli_output_dir": "cli/%s" % slug,
            "metadata": files,
            "root_roles": {r: {"keyids": v["keyids"], "threshold": v["threshold"]}
                           for r, v in sorted(root["roles"].items())},
            "delegations": [{"name": r["name"], "paths": r.get("paths"),
                             "keyids": r["keyids"], "threshold": r["threshold"],
                             "keytypes": [delegations["keys"][k]["keytype"] for k in r["keyids"]]}
                            for r in delegations["roles"]],
            "targets": per_role,
            "resolved": dict(sorted(resolved.items())),
            "removed": sorted(e["name"] for e in expected if e["gun"] == gun and e["state"] == "removed"),
        })

    # private keys
    keys = []
    pdir = os.path.join(base, "trust", "private")
    for fn in sorted(os.listdir(pdir)):
        text = open(os.path.join(pdir, fn), encoding="ascii").read()
        headers = dict(re.findall(r"^([A-Za-z-]+): (.*)$", text, re.M))
        role = headers.get("role", "")
        pw = PASSPHRASES.get(role, DELEGATION_PASSPHRASE)
        body = "\n".join(l for l in text.splitlines() if not re.match(r"^[A-Za-z-]+: |^$", l)) + "\n"
        try:
            pem = openssl(["pkcs8", "-passin", "pass:" + pw], body.encode())
            spki = base64.b64encode(openssl(["pkey", "-pubout", "-outform", "DER"], pem)).decode()
        except subprocess.CalledProcessError as e:
            fail("%s: cannot decrypt with %r: %s" % (fn, pw, e.stderr.decode().strip()))
            continue
        kid = key_id("ecdsa", spki)
        if fn != kid + ".key":
            fail("%s: file name is not the canonical key id %s" % (fn, kid))
        used = [{"gun": g, "roles": r, "key_id": k, "keytype": t}
                for g, r, k, t, s in all_meta_keys if s == spki]
        keys.append({"file": "trust/private/" + fn, "canonical_key_id": kid, "role": role,
                     "gun": headers.get("gun"), "passphrase": pw,
                     "pem_headers": headers, "used_in_metadata_as": used})
    key_rows = parse_table(os.path.join(base, "key-list.txt"))
    listed = {r[-2] for r in key_rows}
    if listed != {k["canonical_key_id"] for k in keys}:
        fail("key-list.txt ids %s != private key files" % sorted(listed))

    if errors:
        sys.exit(1)

    manifest = {
        "generated_by": "scripts/make-fixtures.sh",
        "generated_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "notary_version": args.notary_version,
        "go_version": args.go_version,
        "passphrases": dict(PASSPHRASES, **{"delegations": DELEGATION_PASSPHRASE}),
        "repositories": repos,
        "private_keys": keys,
        "files": {
            "commands": "commands.txt",
            "key_list": "key-list.txt",
            "expected_targets": "expected-targets.tsv",
            "passphrases": "passphrases.txt",
            "delegation_keys": sorted("delegation-keys/" + f
                                      for f in os.listdir(os.path.join(base, "delegation-keys"))),
        },
    }
    with open(os.path.join(base, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    write_readme(base, manifest)


def write_readme(base, m):
    out = []
    w = out.append
    w("# Notary CLI fixtures\n")
    w("Generated by `scripts/make-fixtures.sh fixtures/notary-cli` on %s with the real Go notary CLI "
      "(Debian `notary %s`, %s) against a throwaway local notary-server + notary-signer "
      "(`scripts/stack.sh`). All keys are throwaway. Machine-readable details: `manifest.json`.\n"
      % (m["generated_at"], m["notary_version"], m["go_version"]))
    w("**Expiry:** `timestamp.json` expires 14 days after generation (snapshot/targets 3 years, "
      "root 10 years); tests must verify against a fixed clock (e.g. the generation date).\n")
    w("## Layout\n")
    w("```\n"
      "trust/tuf/<GUN>/metadata/{root,targets,snapshot,timestamp}.json   raw bytes as served\n"
      "trust/tuf/<GUN>/metadata/targets/<delegation>.json\n"
      "trust/private/<canonical key id>.key    encrypted PKCS#8 (PEM headers role:, gun:)\n"
      "delegation-keys/releases.pem           PUBLIC KEY (notary key generate -o) -> keytype ecdsa\n"
      "delegation-keys/qa.crt                 self-signed cert (openssl)          -> keytype ecdsa-x509\n"
      "files/                                 target payloads and --custom inputs\n"
      "cli/<gun_slug>/list*.txt, lookup.txt, delegation-list.txt   notary CLI output (reader trust dir)\n"
      "key-list.txt                           notary key list (publisher trust dir)\n"
      "commands.txt                           every command run, in order\n"
      "expected-targets.tsv                   what was added (gun role name kind src length custom state)\n"
      "passphrases.txt, manifest.json, README.md\n"
      "```\n")
    w("Passphrases: root `rootpass`, targets `targetspass`, snapshot `snapshotpass`, "
      "delegations `delegpass`.\n")
    for r in m["repositories"]:
        w("## `%s` (snapshot key: %s-managed)\n" % (r["gun"], r["snapshot_key"]))
        w("| file | version | expires | signed by (key ids) | length |")
        w("|---|---|---|---|---|")
        for rel, f in sorted(r["metadata"].items()):
            w("| `%s` | %d | `%s` | %s | %d |" % (rel, f["version"], f["expires"],
                                                 ", ".join("`%s…`" % k[:12] for k in f["signature_keyids"]),
                                                 f["length"]))
        w("")
        w("Root roles: " + "; ".join("%s → %s" % (n, ", ".join("`%s`" % k for k in v["keyids"]))
                                     for n, v in r["root_roles"].items()) + "\n")
        if r["delegations"]:
            w("Delegations (in `targets.json` order):\n")
            for d in r["delegations"]:
                w("- `%s` paths=%s keys=%s (%s) threshold %d"
                  % (d["name"], json.dumps(d["paths"]), ", ".join("`%s`" % k for k in d["keyids"]),
                     ", ".join(d["keytypes"]), d["threshold"]))
            w("")
        for role, ts in r["targets"].items():
            w("Targets in `%s`:\n" % role)
            w("| name | length | sha256 | custom |")
            w("|---|---|---|---|")
            for name, t in sorted(ts.items()):
                w("| `%s` | %d | `%s` | %s |" % (name.replace("|", "\\|"), t["length"], t["sha256"],
                                              "`%s`" % json.dumps(t["custom"], ensure_ascii=False, separators=(",", ":"))
                                              if "custom" in t else ""))
            w("")
        w("Resolution (`notary list` / `notary lookup`): " + ", ".join(
            "`%s`→%s" % (n, v["role"]) for n, v in r["resolved"].items()) + "\n")
        if r["removed"]:
            w("Removed (must be absent): " + ", ".join("`%s`" % n for n in r["removed"]) + "\n")
    w("## Private keys\n")
    w("| file | role | gun | used in metadata as |")
    w("|---|---|---|---|")
    for k in m["private_keys"]:
        w("| `%s` | %s | %s | %s |" % (k["file"].split("/")[-1][:16] + "….key", k["role"], k["gun"] or "",
                                    "; ".join("%s `%s` (%s, %s)" % (u["gun"], u["key_id"][:16] + "…",
                                                                     u["keytype"], u["roles"])
                                              for u in k["used_in_metadata_as"])))
    w("")
    w("## Observed notary 0.7 CLI / server behaviour\n")
    w(NOTES)
    w("## Commands\n")
    w("Run from the generator's work dir; `trust` = publisher trust dir, `fresh` = reader trust dir.\n")
    w("```sh")
    w(open(os.path.join(base, "commands.txt"), encoding="utf-8").read().rstrip("\n"))
    w("```\n")
    with open(os.path.join(base, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out))


NOTES = """\
- Metadata files are compact JSON with no trailing newline; the top-level object is
  `{"signed":…,"signatures":[…]}` in that (struct) order, and the `signed` part is
  Go-canonical JSON verbatim: sorted keys, no whitespace, raw UTF-8 (`café-ü`), but
  `<`, `>`, `&` escaped as `\\u003c`, `\\u003e`, `\\u0026` (e.g. the target `a<b&c>d`
  is written `"a\\u003cb\\u0026c\\u003ed"`).
- `expires` is RFC 3339 with nanoseconds, trailing zeros trimmed (fraction length
  varies), in the *local time zone of whoever signed*: client-signed roles of the
  client-snap repo (generated with TZ=Asia/Kolkata) end in `+05:30`; server-signed
  timestamp (and server-managed snapshot) always end in `Z`.
- Hashes in metadata are base64; `notary add` writes sha256 + sha512, `notary addhash`
  only the hashes given. CLI output (`list`, `lookup`) shows hex sha256.
- `--custom FILE`: the CLI compacts the JSON (whitespace removed) and embeds it as a raw
  message; the server re-canonicalises before verifying, so any custom JSON whose compact
  form is not already canonical is rejected at publish with
  `The targets metadata is invalid: valid signatures did not meet threshold for targets`
  (observed for unsorted keys `{"b":1,"a":2}`, `\\u00e9` escapes, `\\/`, `<` in a string,
  `1e3`); floats fail earlier client-side (`json: unsupported value: 1.5`). The failed
  change stays staged until `notary reset GUN --all`. Non-object custom values
  (`"just a string"`, arrays) work.
- Key IDs are 64 hex chars = sha256 of canonical `{"keytype":…,"keyval":{"private":null,"public":…}}`.
  Private key files are named by the *ecdsa* (SPKI) key ID, while root keys (and the qa
  delegation certificate) appear in metadata as `ecdsa-x509` keys with a different ID
  (the public value is the base64 of the PEM certificate). `notary delegation add/list`
  print the canonical (private-key) ID, not the `ecdsa-x509` ID stored in targets.json.
- `notary init` reuses an existing root key from the trust dir: both repos share one root
  private key but have different root certificates (CN=GUN), hence different root key IDs.
- `notary key rotate GUN snapshot -r` publishes immediately and removes the local snapshot key.
- `notary key generate -o X` writes `X.pem` (PUBLIC KEY with `role:` header) and an
  encrypted `X-key.pem` that `notary key import` rejects ("key may be encrypted and does
  not contain path header"); decrypting it with openssl and importing the plaintext works.
- Adding a target outside a delegation's paths (`notary add GUN notqa f -r targets/qa`)
  fails at publish time client-side (`Could not add all targets`).
- `notary key list` truncates the GUN column (`...host:5000/fixtures/app`) and prints
  absolute paths (rewritten to be relative here).
"""


if __name__ == "__main__":
    main()
