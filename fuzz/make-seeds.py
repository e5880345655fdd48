#!/usr/bin/env python3
"""Writes the curated seed corpus fuzz/seeds/<target>/ from the repository's fixtures.

Run from anywhere: python3 fuzz/make-seeds.py. The seeds are committed; re-running gives the
same files except the openssl-generated keys of key_file (fresh keys each run). Input formats
are described in each target's header comment and in fuzz/README.md.
"""

import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
FIX = ROOT / "fixtures"
META = FIX / "notary-cli/trust/tuf/localhost:5000/fixtures"
SEP = b"\n~~~~\n"


def bundle(segments):
    return SEP.join(h + b"\n" + c for h, c in segments)


def out(target, name, data):
    d = FUZZ / "seeds" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def metadata_verify():
    app = META / "app/metadata"
    roles = ["root", "targets", "snapshot", "timestamp", "targets/releases", "targets/qa"]
    for i, role in enumerate(roles):
        out("metadata_verify", f"{i}-{role.replace('/', '-')}", bytes([i]) + (app / f"{role}.json").read_bytes())
    for gun, rs in [("app", roles), ("client-snap", roles[:4])]:
        segs = [(f"localhost:5000/fixtures/{gun}".encode(), b"")]
        segs += [(r.encode(), (META / gun / "metadata" / f"{r}.json").read_bytes()) for r in rs]
        out("metadata_verify", f"dir-{gun}", b"\xff" + bundle(segs))
    mal = FIX / "malformed"
    for mode, name in [(3, "unknown-fields"), (4, "duplicate-key-nested"), (1, "control-char-escape")]:
        out("metadata_verify", f"malformed-{name}", bytes([mode]) + (mal / f"{name}.json").read_bytes())


def canonical_json():
    app = META / "app/metadata"
    out("canonical_json", "root.json", (app / "root.json").read_bytes())
    out("canonical_json", "targets.json", (app / "targets.json").read_bytes())
    out("canonical_json", "custom-hello.json", (FIX / "notary-cli/files/custom-hello.json").read_bytes())
    out("canonical_json", "unknown-fields.json", (FIX / "malformed/unknown-fields.json").read_bytes())
    out("canonical_json", "numbers.json", b"[1.0,1e3,-2E0,9007199254740992,9007199254740993,-0,1.5e-3]")
    out("canonical_json", "escapes.json", b'{"b":"<x>&\\u2028\\u2029\\u0041\\"\\\\","a":[null,true,false,{}],"\\u00e9":""}')


def key_file():
    keys = FIX / "notary-cli/trust/private"
    pubs = FIX / "notary-cli/delegation-keys"
    verbatim = {
        "root": keys / "0b42a6fbc427761d68c36ae0c273b22a9dace8ba49d241a6dfc7cca511d0975d.key",
        "releases": keys / "4337038a580664ef3785e025e832fb5f57516eb66053b957748394f5ea4c21a0.key",
        "snapshot": keys / "d7f669025b6dc1b7d138ad8f5ad2c8bb5bbe38218ec94ebeb72d1265943fd76b.key",
        "releases-pub": pubs / "releases.pem",
        "qa-cert": pubs / "qa.crt",
    }
    for name, path in verbatim.items():
        out("key_file", f"0-{name}", b"\x00" + path.read_bytes())

    def der(path):
        text = path.read_bytes().decode()
        body = [l for l in text.splitlines() if l and not l.startswith("-----") and ":" not in l]
        return base64.b64decode("".join(body))

    # mode 1: [label][passphrase][DER]; labels: 0 ENCRYPTED PRIVATE KEY, 5 PUBLIC KEY, 6 CERTIFICATE.
    out("key_file", "1-root-der", bytes([1, 0, 0]) + der(verbatim["root"]))
    out("key_file", "1-releases-pub-der", bytes([1, 5, 0]) + der(verbatim["releases-pub"]))
    out("key_file", "1-qa-cert-der", bytes([1, 6, 0]) + der(verbatim["qa-cert"]))
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)

        def ssl(*args):
            subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=t)

        ssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.pem")
        ssl("pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem", "-outform", "DER", "-out", "p8.der")
        ssl("ec", "-in", "ec.pem", "-outform", "DER", "-out", "sec1.der")
        ssl("ec", "-in", "ec.pem", "-aes-256-cbc", "-passout", "pass:delegpass", "-out", "enc.pem")
        # labels: 1 PRIVATE KEY, 2 EC PRIVATE KEY
        out("key_file", "1-pkcs8-der", bytes([1, 1, 3]) + (t / "p8.der").read_bytes())
        out("key_file", "1-sec1-der", bytes([1, 2, 3]) + (t / "sec1.der").read_bytes())
        out("key_file", "0-legacy-encrypted-ec", b"\x00" + (t / "enc.pem").read_bytes())
        # mode 2 with the legacy block's headers: [label][passphrase][n][headers][DER]
        text = (t / "enc.pem").read_bytes().decode()
        lines = text.splitlines()
        headers = "\n".join(l for l in lines if ":" in l).encode()
        body = base64.b64decode("".join(l for l in lines if l and not l.startswith("-----") and ":" not in l))
        out("key_file", "2-legacy-encrypted-ec-der", bytes([2, 2, 3, len(headers)]) + headers + body)


def www_authenticate():
    seeds = {
        "bearer": b'Bearer realm="https://auth.docker.io/token",service="notary.docker.io",scope="repository:a/b:pull"',
        "two": b'Basic realm="x", Bearer realm="https://r/token", service=notary, error="invalid_token"',
        "escapes": b'Bearer realm="a\\"b\\\\c" , scope = "x y",, token68==\nNegotiate abc==',
        "lines": b'bearer REALM=r\nBASIC realm="q"',
    }
    for name, data in seeds.items():
        out("www_authenticate", name, data)


DESCRIPTOR = re.compile(rb'"digest":"sha256:([0-9a-f]{64})","size":(\d+)')


def layout_segments(layout):
    """index.json and the blobs reachable from it, referrers before referents, with every
    descriptor's digest and size turned into {{Dk}}/{{Sk}} placeholders."""
    blobs = layout / "blobs/sha256"
    order = []

    def visit(hexd, seen):
        if hexd in seen or not (blobs / hexd).exists():
            return
        seen.add(hexd)
        for m in DESCRIPTOR.finditer((blobs / hexd).read_bytes()):
            visit(m.group(1).decode(), seen)
        order.append(hexd)

    seen = set()
    for m in DESCRIPTOR.finditer((layout / "index.json").read_bytes()):
        visit(m.group(1).decode(), seen)
    order.reverse()  # topological: referrers first
    index_of = {h: i + 2 for i, h in enumerate(order)}  # segment 0 oci-layout, 1 index.json

    def templ(data):
        def sub(m):
            k = index_of.get(m.group(1).decode())
            return m.group(0) if k is None else b'"digest":"{{D%d}}","size":{{S%d}}' % (k, k)

        return DESCRIPTOR.sub(sub, data)

    segs = [(b"oci-layout", (layout / "oci-layout").read_bytes()), (b"index.json", templ((layout / "index.json").read_bytes()))]
    segs += [(b"@", templ((blobs / h).read_bytes())) for h in order]
    return segs


def oci_layout():
    out("oci_layout", "layout", bundle(layout_segments(FIX / "images/layout")))
    # Placeholders count segments from 0: extra segments go last.
    out("oci_layout", "source-ref", bundle(layout_segments(FIX / "images/source") + [(b"ref 1.0", b"")]))
    # index.json naming a blob that is a symbolic link leading out of the layout.
    a64 = b"a" * 64
    escaping = [
        (b"oci-layout", (FIX / "images/layout/oci-layout").read_bytes()),
        (b"index.json", b'{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:' + a64 + b'","size":10}]}'),
        (b"blobs/sha256/" + a64 + b" -> ../../../outside", b""),
    ]
    out("oci_layout", "escaping-link", bundle(escaping))


def docker_archive():
    out("docker_archive", "0-legacy.tar", b"\x00" + (FIX / "images/legacy.tar").read_bytes())
    out("docker_archive", "0-oci-archive.tar", b"\x00" + (FIX / "images/oci-archive.tar").read_bytes())
    with tarfile.open(FIX / "images/legacy.tar") as t:
        layer = t.extractfile("06ed8902b463e984893bb331db18995502014b5602aa78c10afdb4bba4034f86.tar").read()
        config = t.extractfile("7839e417e89ab76073cf07e61c286a7e3663e8da09dc0a92b5a25168752934af.json").read()
    config = config.replace(b"sha256:06ed8902b463e984893bb331db18995502014b5602aa78c10afdb4bba4034f86", b"{{D3}}")
    legacy = [
        (b"0manifest.json", b'[{"Config":"config.json","RepoTags":["docker.io/library/app:1.0"],"Layers":["layer0/layer.tar"]}]'),
        (b"0config.json", config),
        (b"2layer0/layer.tar -> ../layer.tar", b""),
        (b"0layer.tar", layer),
    ]
    out("docker_archive", "2-legacy", b"\x02" + bundle(legacy))
    oci = [(b"0" + h, c) for h, c in layout_segments(FIX / "images/source")]
    out("docker_archive", "2-oci", b"\x02" + bundle(oci + [(b"ref 1.0", b"")]))


if __name__ == "__main__":
    shutil.rmtree(FUZZ / "seeds", ignore_errors=True)
    metadata_verify()
    canonical_json()
    key_file()
    www_authenticate()
    oci_layout()
    docker_archive()
    for d in sorted((FUZZ / "seeds").iterdir()):
        print(d.name, len(list(d.iterdir())))
