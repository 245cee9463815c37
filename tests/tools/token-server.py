#!/usr/bin/env python3
"""token-server.py - a Docker-Hub-like token service for the tbx test bed.

    token-server.py --port P --key KEY.pem --cert CERT.pem --issuer I
                    --service S [--public REPO]... [--private REPO]...
                    [--auth-file auth.json --auth-key HOST:PORT]
                    [--expires-in 300] [--control-dir DIR]

Answers GET /token?service=S&scope=repository:NAME:pull[,push] like
auth.docker.io: {"token", "access_token", "expires_in", "issued_at"}, the
token an RS256 JWT whose header carries the certificate ("x5c") and whose
claims are iss, sub, aud, exp, nbf, iat, jti and access.  Pull access is
granted anonymously for --public repositories; for --private ones only
with Basic credentials equal to auth.json's entry for --auth-key.  Other
scopes get a token with no access (the registry then answers 401
insufficient_scope), as Docker Hub does.  Wrong credentials: 401.

Control (files in --control-dir, read on each request, so tests change
them while it runs): "expires-in" (seconds), "mode" (normal, garbage: not
JSON, noexpiry: no expires_in, huge: a 70 KiB token, slow: answer after
30 s, down: close the connection).  GET /_counts answers the token
requests so far: {"total", "by_agent": {agent: n}, "by_scope": {scope: n}},
one JSON line per request also goes to --log.
"""
import argparse
import base64
import datetime
import json
import os
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

A = None
KEY = None
X5C = None
LOCK = threading.Lock()
COUNTS = {"total": 0, "by_agent": {}, "by_scope": {}}
LEEWAY = 60  # distribution's token leeway (registry/auth/token)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    signing = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = KEY.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing + "." + b64url(sig)


def control(name, default):
    if not A.control_dir:
        return default
    try:
        with open(os.path.join(A.control_dir, name)) as f:
            return f.read().strip() or default
    except OSError:
        return default


def expected_basic():
    if not A.auth_file:
        return None
    try:
        with open(A.auth_file) as f:
            e = json.load(f).get("auths", {}).get(A.auth_key)
        return e and "Basic " + e["auth"]
    except (OSError, ValueError, KeyError):
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        if u.path == "/_counts":
            with LOCK:
                return self.send(200, json.dumps(COUNTS))
        if u.path != "/token":
            return self.send(404, '{"details":"not found"}')
        agent = self.headers.get("User-Agent", "")
        agent = agent.split("/")[0] if agent.startswith("tbx/") else \
            ("podman" if "containers" in agent or "podman" in agent.lower() else agent)
        scopes = q.get("scope", [])
        authz = self.headers.get("Authorization")
        with LOCK:
            COUNTS["total"] += 1
            COUNTS["by_agent"][agent] = COUNTS["by_agent"].get(agent, 0) + 1
            for s in scopes or [""]:
                COUNTS["by_scope"][s] = COUNTS["by_scope"].get(s, 0) + 1
        if A.log:
            with LOCK, open(A.log, "a") as f:
                f.write(json.dumps({"t": time.time(), "agent": agent, "scope": scopes,
                                    "basic": bool(authz)}) + "\n")
        mode = control("mode", "normal")
        if mode == "down":
            self.close_connection = True
            self.connection.close()
            return
        if mode == "slow":
            time.sleep(30)
        if mode == "garbage":
            return self.send(200, "<html><body>502 Bad Gateway</body></html>", "text/html")
        creds_ok = None
        if authz:
            creds_ok = authz == expected_basic()
            if not creds_ok:
                return self.send(401, '{"details":"incorrect username or password"}')
        access = []
        for s in scopes:
            parts = s.split(":")
            if len(parts) != 3 or parts[0] != "repository":
                continue
            name, actions = parts[1], parts[2].split(",")
            ok = name in A.public or (name in A.private and creds_ok)
            access.append({"type": "repository", "name": name,
                           "actions": ["pull"] if ok and "pull" in actions else []})
        now = int(time.time())
        expires_in = int(control("expires-in", str(A.expires_in)))
        # docker-registry accepts a token until 60 s after its exp (clock
        # skew leeway): exp is set that much earlier, so that the registry
        # refuses it when expires_in says it is over
        token = jwt({"iss": A.issuer, "sub": "tbx-test" if creds_ok else "",
                     "aud": q.get("service", [A.service])[0], "exp": now + expires_in - LEEWAY,
                     "nbf": now - 1, "iat": now, "jti": uuid.uuid4().hex, "access": access})
        if mode == "huge":
            token = token + "." + "x" * 70000
        ans = {"token": token, "access_token": token, "expires_in": expires_in,
               "issued_at": datetime.datetime.utcfromtimestamp(now).strftime("%Y-%m-%dT%H:%M:%SZ")}
        if mode == "noexpiry":
            del ans["expires_in"]
        self.send(200, json.dumps(ans))


def main():
    global A, KEY, X5C
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--public", action="append", default=[])
    ap.add_argument("--private", action="append", default=[])
    ap.add_argument("--auth-file")
    ap.add_argument("--auth-key")
    ap.add_argument("--expires-in", type=int, default=300)
    ap.add_argument("--control-dir")
    ap.add_argument("--log")
    A = ap.parse_args()
    with open(A.key, "rb") as f:
        KEY = serialization.load_pem_private_key(f.read(), None)
    with open(A.cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    X5C = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    srv = ThreadingHTTPServer(("127.0.0.1", A.port), Handler)
    srv.daemon_threads = True
    print("token-server: ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
