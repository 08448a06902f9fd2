#!/usr/bin/env python3
"""Measures how fast Leadline delivers webhooks to a local receiver.

Starts nothing itself but the receiver: run a server first, e.g.

    cargo run --release -- serve --data /tmp/ll --admin-key admin-key-0123456789 \
        --allow-insecure-webhooks --bind 127.0.0.1:8080
    python3 scripts/measure-webhook-delivery.py --leadline http://127.0.0.1:8080 \
        --admin-key admin-key-0123456789 --leads 20000

It makes a user, a campaign and a subscription to every event type for
`scripts/webhook-receiver.py` (which checks every signature), imports
`--leads` leads as one CSV, and times from the import's answer until the
subscription's `last_delivered_position` reaches the log's head. As the
baseline, in the same run, it posts the same number of events, in batches
of the same size and already signed, straight to the same receiver from
one connection: the receiver's own rate, with no Leadline in between.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import subprocess
import sys
import time
import urllib.request

BATCH_EVENTS = 100  # SUBSCRIPTION_BATCH_EVENTS_MAX


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leadline", default="http://127.0.0.1:8080")
    parser.add_argument("--admin-key", required=True)
    parser.add_argument("--leads", type=int, default=20000)
    parser.add_argument("--port", type=int, default=19090, help="receiver port on 127.0.0.1")
    args = parser.parse_args()
    base = args.leadline.rstrip("/")

    def call(method, path, key, body=None, content_type="application/json"):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        request = urllib.request.Request(
            base + path, data=data, method=method,
            headers={"Authorization": "Bearer " + key, "Content-Type": content_type})
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)

    user = call("POST", "/api/v1/users", args.admin_key, {"name": "Delivery benchmark"})
    key = user["api_key"]
    campaign = call("POST", "/api/v1/campaigns", key, {"name": "Delivery benchmark", "default_region": "IN"})
    url = "http://127.0.0.1:%d/leadline" % args.port
    sub = call("POST", "/api/v1/subscriptions", key, {"url": url, "events": ["*"]})
    out = open("/dev/null", "w")
    receiver = subprocess.Popen(
        [sys.executable, __file__.replace("measure-webhook-delivery.py", "webhook-receiver.py"),
         "--port", str(args.port), "--secret", sub["secret"]], stdout=out, stderr=out)
    try:
        time.sleep(1.0)
        csv = "phone,name\n" + "".join("98%08d,Lead %d\n" % (i, i) for i in range(args.leads))
        started = time.time()
        report = call("POST", "/api/v1/campaigns/%s/leads" % campaign["id"], key, csv.encode(), "text/csv")
        answered = time.time()
        head = call("GET", "/healthz", args.admin_key)["position"]
        while call("GET", "/api/v1/subscriptions/" + sub["id"], key)["last_delivered_position"] < head:
            time.sleep(0.01)
        delivered = time.time()
        events = head - sub["last_delivered_position"]

        # Baseline: the same events, signed, straight to the receiver.
        sample = call("GET", "/api/v1/events?after=%d&limit=%d" % (head - BATCH_EVENTS, BATCH_EVENTS), key)["events"]
        connection = http.client.HTTPConnection("127.0.0.1", args.port)
        batches = (events + BATCH_EVENTS - 1) // BATCH_EVENTS
        direct_started = time.time()
        for n in range(batches):
            shifted = [dict(e, id="baseline-%d-%d" % (n, i)) for i, e in enumerate(sample)]
            body = json.dumps({"subscription_id": sub["id"], "events": shifted}).encode()
            t = str(int(time.time()))
            signature = hmac.new(sub["secret"].encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
            connection.request("POST", "/leadline", body, {
                "Content-Type": "application/json",
                "Leadline-Signature": "t=%s,v1=%s" % (t, signature)})
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                raise SystemExit("the receiver answered %d" % answer.status)
        direct = time.time() - direct_started
    finally:
        receiver.terminate()

    took = delivered - answered
    print("imported %d leads in %.2f s; %d events to deliver" % (report["imported"], answered - started, events))
    print("webhook_delivery: %d events in %.2f s after the import answered = %.0f events/s" % (events, took, events / took))
    print("baseline direct_post_same_receiver: %d events in %.2f s = %.0f events/s" % (batches * len(sample), direct, batches * len(sample) / direct))
    print("ratio: %.2f" % ((events / took) / (batches * len(sample) / direct)))


if __name__ == "__main__":
    main()
