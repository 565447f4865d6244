#!/usr/bin/env python3
"""An external ns adapter in plain Python: the standard library and pyzmq
(Debian: python3-zmq). It speaks docs/adapter-protocol.md directly, to show
that the protocol needs nothing from ns's C++ SDK.

    NS_ADAPTER_KEY=nsa_... python3 adapter.py --endpoint tcp://127.0.0.1:5570

Each job is "handled" by printing it as one JSON line; replace handle() with
real work. One job at a time (credit 1 per slot, --credit slots), handled in
the receiving thread: enough for an example, not for throughput.
"""

import argparse
import json
import os
import sys
import time

import zmq

PROTOCOL = 1
# Refusals that waiting does not fix.
FATAL = {"bad_key", "unsupported_version", "key_rotated", "adapter_deleted",
         "malformed"}


def handle(job, out):
    """The adapter's work. Returns (outcome, retryable, message)."""
    out.write(json.dumps({"job_id": job["job_id"],
                          "attempt": job["attempt"],
                          "idempotency_key": job["idempotency_key"],
                          "params": job["params"]}) + "\n")
    out.flush()
    return "succeeded", False, ""


def send(sock, kind, body):
    sock.send_multipart([kind.encode(), json.dumps(body).encode()])


def session(ctx, args, out):
    """One connection: hello, then jobs until nsd ends it or goes silent.
    Returns a fatal refusal code, or None to reconnect."""
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(args.endpoint)
    send(sock, "hello", {"protocol": PROTOCOL, "key": args.key,
                         "credit": args.credit, "name": "python-example"})
    heartbeat, timeout = 1.0, 5.0
    last_rx = last_tx = time.monotonic()
    welcomed = False
    try:
        while True:
            if sock.poll(int(heartbeat * 500)):
                frames = sock.recv_multipart()
                last_rx = time.monotonic()
                if len(frames) != 2:
                    continue
                kind = frames[0].decode("ascii", "replace")
                body = json.loads(frames[1] or b"{}")
                if kind == "welcome":
                    welcomed = True
                    heartbeat = body["heartbeat_ms"] / 1000.0
                    timeout = body["timeout_ms"] / 1000.0
                    print("adapter.py: connected as %s of adapter %r"
                          % (body["instance_id"], body["adapter"]),
                          file=sys.stderr, flush=True)
                elif kind in ("refuse", "bye"):
                    print("adapter.py: nsd said %s: %s: %s"
                          % (kind, body.get("code"), body.get("message")),
                          file=sys.stderr, flush=True)
                    code = body.get("code")
                    return code if code in FATAL else None
                elif kind == "job":
                    # Refused unrun once past its expire time.
                    if time.time() * 1000 >= body["expire_at_ms"]:
                        result = {"job_id": body["job_id"],
                                  "outcome": "expired"}
                    else:
                        outcome, retryable, message = handle(body, out)
                        result = {"job_id": body["job_id"],
                                  "outcome": outcome,
                                  "retryable": retryable,
                                  "message": message}
                    result["credit"] = 1  # the slot is free again
                    send(sock, "result", result)
                    last_tx = time.monotonic()
                # "cancel": jobs are handled as they arrive, so a cancel
                # always comes after the result here; "heartbeat": liveness.
            now = time.monotonic()
            if welcomed and now - last_tx >= heartbeat:
                send(sock, "heartbeat", {})
                last_tx = now
            if now - last_rx > timeout:
                print("adapter.py: nsd silent; reconnecting", file=sys.stderr,
                      flush=True)
                return None
    finally:
        sock.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", default="tcp://127.0.0.1:5570")
    p.add_argument("--key", default=os.environ.get("NS_ADAPTER_KEY"))
    p.add_argument("--credit", type=int, default=4)
    p.add_argument("--out", help="append JSON lines here (default stdout)")
    args = p.parse_args()
    if not args.key:
        p.error("no key: give --key or set NS_ADAPTER_KEY")
    out = open(args.out, "a") if args.out else sys.stdout
    ctx = zmq.Context()
    backoff = 0.1
    try:
        while True:
            code = session(ctx, args, out)
            if code:
                print("adapter.py: refused: %s" % code, file=sys.stderr)
                return 1
            time.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
    except KeyboardInterrupt:
        return 0
    finally:
        ctx.destroy(linger=0)


if __name__ == "__main__":
    sys.exit(main())
