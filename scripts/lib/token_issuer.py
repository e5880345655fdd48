#!/usr/bin/env python3
"""Test-only Docker registry token issuer (ES256 JWT) for `auth: token` in
notary-server and docker-registry.  Python 3 standard library + the `openssl`
CLI only (no third-party modules).

    GET /token?service=S&scope=repository:NAME:pull,push[&scope=...]
      -> 200 {"token": JWT, "access_token": JWT, "expires_in": 300, "issued_at": ...}

Every requested action is granted.  If the environment variable TOKEN_BASIC is
set to "user:pass", requests must carry exactly that HTTP Basic credential
(else 401 with a Basic challenge); otherwise credentials are ignored.
The JWT header carries x5c = [the self-signed token certificate], which is
also the servers' `rootcertbundle`.

Usage: token_issuer.py PORT KEY_PEM CERT_PEM [ISSUER]
"""
import base64
import http.server
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.parse

PORT, KEY, CERT = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ISSUER = sys.argv[4] if len(sys.argv) > 4 else "test-issuer"
BASIC = os.environ.get("TOKEN_BASIC", "")

with open(CERT, encoding="ascii") as f:
    CERT_DER = ssl.PEM_cert_to_DER_cert(f.read())


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def der_int(buf: bytes, pos: int):
    """Parse one DER INTEGER at pos; return (value, next_pos)."""
    if buf[pos] != 0x02:
        raise ValueError("expected DER INTEGER")
    length = buf[pos + 1]
    pos += 2
    return int.from_bytes(buf[pos:pos + length], "big"), pos + length


def es256_sign(message: bytes) -> bytes:
    """ECDSA P-256/SHA-256 via openssl; convert DER Ecdsa-Sig-Value to raw r||s."""
    der = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", KEY],
        input=message, stdout=subprocess.PIPE, check=True,
    ).stdout
    if der[0] != 0x30:
        raise ValueError("expected DER SEQUENCE")
    pos = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    r, pos = der_int(der, pos)
    s, _ = der_int(der, pos)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def make_token(service, scopes, sub="tester", ttl=300):
    access = []
    for scope in scopes:  # "repository:localhost:5000/demo/app:pull,push"
        typ, rest = scope.split(":", 1)
        name, actions = rest.rsplit(":", 1)
        access.append({"type": typ, "name": name, "actions": actions.split(",")})
    now = int(time.time())
    header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(CERT_DER).decode()]}
    claims = {"iss": ISSUER, "sub": sub, "aud": service, "exp": now + ttl,
              "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(), "access": access}
    signing_input = b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())
    return signing_input + "." + b64u(es256_sign(signing_input.encode()))


class Handler(http.server.BaseHTTPRequestHandler):
    def _send(self, code, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server naming)
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self._send(404, b'{"error":"not found"}')
            return
        auth = self.headers.get("Authorization", "")
        if BASIC:
            want = "Basic " + base64.b64encode(BASIC.encode()).decode()
            if auth != want:
                self._send(401, b'{"error":"bad credentials"}',
                           [("WWW-Authenticate", 'Basic realm="token"')])
                return
        query = urllib.parse.parse_qs(url.query)
        tok = make_token(query.get("service", [""])[0], query.get("scope", []),
                         sub=BASIC.split(":", 1)[0] if BASIC else "tester")
        body = json.dumps({"token": tok, "access_token": tok, "expires_in": 300,
                           "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode()
        self._send(200, body)

    def log_message(self, fmt, *args):  # one line per request, with whether auth was sent
        sys.stderr.write("token: %s auth=%s %s\n" % (
            self.log_date_time_string(), "Authorization" in self.headers, fmt % args))


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
