#!/usr/bin/env python3
"""A Leadline webhook receiver: prints each verified event, answers 200.

Standard library only. Against `leadline demo` (which accepts receivers on
127.0.0.1), it subscribes itself and prints the demo's events as they
happen:

    python3 scripts/webhook-receiver.py --leadline http://127.0.0.1:8080 --key <operator key>

Or give it the secret of a subscription you made yourself:

    python3 scripts/webhook-receiver.py --port 9000 --secret whsec_...

A delivery whose signature does not verify, or is more than five minutes
old, is answered 401 and printed to stderr. Leadline delivers at least
once: an event may come twice (after a failed or unanswered delivery), so
the receiver keeps the ids it has seen and prints each event once.
"""

import argparse
import hashlib
import hmac
import http.server
import json
import sys
import time
import urllib.request

TOLERANCE_S = 300


def verify(secret, header, body):
    """True when `Leadline-Signature: t=...,v1=...` signs this body."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    signed = str(t).encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - t) <= TOLERANCE_S
    return fresh and hmac.compare_digest(expected, parts.get("v1", ""))


def subscribe(leadline, key, url, events):
    """Creates a subscription for `url`; returns (id, secret)."""
    request = urllib.request.Request(
        leadline.rstrip("/") + "/api/v1/subscriptions",
        data=json.dumps({"url": url, "events": events}).encode(),
        headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        created = json.load(answer)
    return created["id"], created["secret"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=9000, help="port on 127.0.0.1")
    parser.add_argument("--secret", help="the subscription's secret")
    parser.add_argument("--leadline", help="subscribe to this server (e.g. http://127.0.0.1:8080)")
    parser.add_argument("--key", help="API key for --leadline")
    parser.add_argument("--events", default="*", help="event types, comma separated (default: all)")
    args = parser.parse_args()

    seen = set()
    secret = args.secret

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            if not verify(secret, self.headers.get("Leadline-Signature", ""), body):
                print("refused: bad or old signature", file=sys.stderr)
                self.send_response(401)
                self.end_headers()
                return
            for event in json.loads(body)["events"]:
                if event["id"] in seen:
                    continue
                seen.add(event["id"])
                print(event["position"], event["at"], event["type"], json.dumps(event["data"]), flush=True)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    url = "http://127.0.0.1:%d/leadline" % server.server_address[1]
    if args.leadline:
        if not args.key:
            parser.error("--leadline needs --key")
        sub_id, secret = subscribe(args.leadline, args.key, url, args.events.split(","))
        print("subscribed %s to %s" % (sub_id, url), file=sys.stderr)
    elif not secret:
        parser.error("give --secret, or --leadline and --key to subscribe")
    print("listening on %s" % url, file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
