#!/usr/bin/python3
"""Example understudy client (Debian's python3-zmq and python3-msgpack; run with /usr/bin/python3).

It speaks the protocol of docs/protocol.md:

* ``UnderstudyClient`` sends events (asset, prompt, annotation, feedback) and status queries to
  the server's ingest ROUTER over a DEALER socket and waits for the reply. It is a Lazy Pirate
  client: when no reply comes within ``timeout`` it closes the socket, reconnects and resends the
  same bytes, up to ``retries`` times. Its ZMQ_ROUTING_ID stays the same across reconnects and
  each event keeps its id, so the server recognises a retry of an event it already logged and
  acks it again (``duplicate: True``) without logging it twice.
* ``SuggestionSubscriber`` subscribes to suggestions and gate events of whole projects
  (topic ``<project>/``, with the slash, so that ``proj`` does not also match ``proj2``).

Commands:
    understudy_client.py demo   --ingest EP --publish EP [--project P]
    understudy_client.py watch  --publish EP --project P [--project Q ...]
    understudy_client.py latest --ingest EP --project P
    understudy_client.py asset  --ingest EP --project P --asset ID [--width W --height H]
                                [--timeout S --retries N]    (prints the ack as JSON)
"""

import argparse
import json
import os
import socket
import sys
import time
import uuid

import msgpack
import zmq

PROTOCOL_VERSION = 1


class ServerError(Exception):
    """The server answered with an ``error`` message (or the client refused to send)."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class NoReply(Exception):
    """No reply after every retry: the server is down, or the message was dropped in transit."""


def envelope(type_, project, payload, id_=None, ts=None):
    """The protocol's envelope: {v, type, id, project, ts, payload}."""
    return {
        "v": PROTOCOL_VERSION,
        "type": type_,
        "id": id_ if id_ is not None else uuid.uuid4().hex,
        "project": project,
        "ts": time.time() if ts is None else ts,
        "payload": payload,
    }


def pack(message):
    return msgpack.packb(message, use_bin_type=True)


def unpack(data):
    return msgpack.unpackb(data, raw=False)


class UnderstudyClient:
    """Events and queries over a DEALER with Lazy Pirate retries."""

    def __init__(self, endpoint, client_id=None, timeout=2.5, retries=3,
                 max_message_bytes=8 << 20, context=None):
        self.endpoint = endpoint
        # Unique per client process; must not start with a zero byte (libzmq reserves those).
        self.client_id = client_id or f"py-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.timeout_ms = int(timeout * 1000)
        self.retries = retries
        self.max_message_bytes = max_message_bytes
        self.context = context or zmq.Context.instance()
        self.reconnects = 0
        self.socket = None
        self._connect()

    def _connect(self):
        if self.socket is not None:
            self.socket.close(linger=0)
            self.reconnects += 1
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.ROUTING_ID, self.client_id.encode())
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(self.endpoint)

    def close(self):
        if self.socket is not None:
            self.socket.close(linger=0)
            self.socket = None

    def request(self, message):
        """Sends one message and returns the reply (ack or status) for its id.

        Raises ServerError for an ``error`` reply, NoReply when every attempt timed out.
        """
        data = pack(message)
        if len(data) > self.max_message_bytes:
            # Over the server's ZMQ_MAXMSGSIZE libzmq would drop the connection without a reply;
            # refusing here gives the caller the code instead of a timeout.
            raise ServerError("too_large", f"{len(data)} bytes exceed max_message_bytes "
                                           f"{self.max_message_bytes}")
        for attempt in range(self.retries + 1):
            self.socket.send(data)
            deadline = time.monotonic() + self.timeout_ms / 1000
            while True:
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0 or not self.socket.poll(left, zmq.POLLIN):
                    break
                reply = unpack(self.socket.recv())
                if reply.get("id") not in (message["id"], ""):
                    continue  # a late reply to an earlier request: not ours
                if reply.get("type") == "error":
                    payload = reply.get("payload", {})
                    raise ServerError(payload.get("code"), payload.get("message"))
                return reply
            if attempt < self.retries:
                self._connect()  # Lazy Pirate: a fresh socket, the same routing id and bytes
        raise NoReply(f"no reply to {message['type']} {message['id']} after "
                      f"{self.retries + 1} attempts of {self.timeout_ms} ms")

    # ---- events: each returns the ack's payload {lsn, duplicate} ----

    def send_event(self, message):
        return self.request(message)["payload"]

    def asset(self, project, asset, width, height, uri=None, image=None, id_=None):
        payload = {"asset": asset, "width": width, "height": height}
        if uri is not None:
            payload["uri"] = uri
        if image is not None:
            payload["image"] = bytes(image)
        return self.send_event(envelope("asset", project, payload, id_))

    def prompt(self, project, asset, prompt, box, clicks=None, label=None, id_=None):
        payload = {"asset": asset, "prompt": prompt, "box": [float(v) for v in box]}
        if clicks:
            payload["clicks"] = [{"x": x, "y": y, "positive": bool(p)} for x, y, p in clicks]
        if label is not None:
            payload["label"] = label
        return self.send_event(envelope("prompt", project, payload, id_))

    def annotation(self, project, asset, instances, annotator, prompt=None, draw_seconds=None,
                   complete=False, id_=None):
        """``instances``: a list of {"shape": parts, "label": str}; a shape is a list of parts,
        each a list of rings (outer first, then holes), each a list of [x, y]."""
        payload = {"asset": asset, "instances": instances, "annotator": annotator}
        if prompt is not None:
            payload["prompt"] = prompt
        if draw_seconds is not None:
            payload["draw_seconds"] = float(draw_seconds)
        if complete:
            payload["complete"] = True
        return self.send_event(envelope("annotation", project, payload, id_))

    def feedback(self, project, asset, suggestion, verdict, edit_seconds=None, annotator=None,
                 id_=None):
        payload = {"asset": asset, "suggestion": suggestion, "verdict": verdict}
        if edit_seconds is not None:
            payload["edit_seconds"] = float(edit_seconds)
        if annotator is not None:
            payload["annotator"] = annotator
        return self.send_event(envelope("feedback", project, payload, id_))

    def rollback(self, project, version, note=None, id_=None):
        """A control message: the server's engine serves registry `version` again and restarts
        its gates. The ack means durable and queued, not applied: check summary()'s model."""
        payload = {"action": "rollback", "version": int(version)}
        if note is not None:
            payload["note"] = note
        return self.send_event(envelope("control", project, payload, id_))

    # ---- queries ----

    def latest(self, project, limit=None):
        """The late joiner's catch-up: suggestion envelopes for the project's pending prompts."""
        payload = {"query": "latest"}
        if limit is not None:
            payload["limit"] = limit
        return self.request(envelope("status", project, payload))["payload"]["suggestions"]

    def summary(self, project):
        return self.request(envelope("status", project, {"query": "summary"}))["payload"]


class SuggestionSubscriber:
    """Suggestions, gate events and blind scores of whole projects, from the server's PUB socket.

    With ``withheld=True`` it also receives the suggestions the gate withheld (topic
    ``<project>:withheld``, ``withheld: true``): for observers such as a remote replay, never for
    a frontend that shows suggestions to people.
    """

    def __init__(self, endpoint, projects, context=None, withheld=False):
        self.socket = (context or zmq.Context.instance()).socket(zmq.SUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        for project in projects:
            self.socket.setsockopt(zmq.SUBSCRIBE, f"{project}/".encode())
            if withheld:
                self.socket.setsockopt(zmq.SUBSCRIBE, f"{project}:withheld".encode())
        self.socket.connect(endpoint)

    def receive(self, timeout=1.0):
        """(topic, envelope) or None after ``timeout`` seconds."""
        if not self.socket.poll(int(timeout * 1000), zmq.POLLIN):
            return None
        topic, data = self.socket.recv_multipart()
        return topic.decode(), unpack(data)

    def close(self):
        self.socket.close(linger=0)


def square(x, y, size):
    """A one-part, hole-free shape."""
    return [[[[x, y], [x + size, y], [x + size, y + size], [x, y + size]]]]


def demo(args):
    """Walks through the protocol against a running server and checks every answer."""
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    project = args.project
    client = UnderstudyClient(args.ingest, timeout=args.timeout)
    subscriber = SuggestionSubscriber(args.publish, [project])
    asset = f"img-{uuid.uuid4().hex[:6]}"
    ack = client.asset(project, asset, 640, 480, uri=f"images/{asset}.jpg")
    check(ack["lsn"] > 0 and not ack["duplicate"], f"asset {asset} acked at lsn {ack['lsn']}")

    # A new SUB connection needs a moment before the server sees its subscription; prompts sent
    # before that are still answered, but their suggestions are not delivered to it.
    suggestion = None
    for attempt in range(50):
        prompt_id = f"p{attempt}"
        client.prompt(project, asset, prompt_id, [100, 120, 300, 360], label="balloon")
        got = subscriber.receive(timeout=0.2)
        while got is not None and got[1]["payload"].get("prompt") != prompt_id:
            got = subscriber.receive(timeout=0.2)
        if got is not None:
            suggestion = got
            break
    check(suggestion is not None, "a suggestion arrived on SUB for a prompt")
    if suggestion is not None:
        topic, message = suggestion
        check(topic == f"{project}/{asset}", f"its topic is {topic}")
        check(message["type"] == "suggestion" and message["project"] == project,
              "it is a suggestion envelope for the project")
        ring = message["payload"]["shape"][0][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        check(min(xs) >= 100 - 1e-6 and max(xs) <= 300 + 1e-6 and min(ys) >= 120 - 1e-6
              and max(ys) <= 360 + 1e-6, f"its outline ({len(ring)} vertices) lies in the box")
        prompt_id = message["payload"]["prompt"]
        pending = client.latest(project)
        check(any(s["id"] == message["id"] for s in pending),
              f"a late joiner's 'latest' query returns it ({len(pending)} pending)")

        annotation = envelope("annotation", project, {
            "asset": asset, "prompt": prompt_id, "annotator": "demo",
            "instances": [{"shape": square(110, 130, 150), "label": "balloon"}],
            "draw_seconds": 7.5})
        first = client.send_event(annotation)
        again = client.send_event(annotation)  # a retry of the same event
        check(not first["duplicate"] and again["duplicate"] and again["lsn"] == first["lsn"],
              f"a resent annotation is acked as a duplicate of lsn {first['lsn']}")
        fb = client.feedback(project, asset, message["id"], "edited", edit_seconds=2.0,
                             annotator="demo")
        check(fb["lsn"] > first["lsn"], "feedback acked")
        pending = client.latest(project)
        check(all(s["payload"]["prompt"] != prompt_id for s in pending),
              "the annotated prompt is no longer pending")

    try:
        client.prompt(project, "no-such-asset", "p", [0, 0, 10, 10])
        check(False, "a prompt for an unknown asset is rejected")
    except ServerError as e:
        check(e.code == "unknown_asset", f"a prompt for an unknown asset gets error {e.code}")
    try:
        client.prompt(project, asset, "p-bad", [0, 0, float("nan"), 10])
        check(False, "a NaN coordinate is rejected")
    except ServerError as e:
        check(e.code == "non_finite", f"a NaN coordinate gets error {e.code}")

    summary = client.summary(project)
    check(summary["server"]["durable_lsn"] >= 1,
          f"summary: engine {summary['engine']['engine']}, durable lsn "
          f"{summary['server']['durable_lsn']}")
    client.close()
    subscriber.close()
    print(f"demo: {len(failures)} failure(s)")
    return 1 if failures else 0


def watch(args):
    subscriber = SuggestionSubscriber(args.publish, args.project)
    try:
        while True:
            got = subscriber.receive(timeout=1.0)
            if got is not None:
                topic, message = got
                print(topic, message["type"], message["id"], message["payload"].get("prompt", ""),
                      flush=True)
    except KeyboardInterrupt:
        return 0


def latest(args):
    client = UnderstudyClient(args.ingest, timeout=args.timeout)
    for s in client.latest(args.project[0]):
        print(s["payload"]["asset"], s["payload"]["prompt"], s["id"])
    client.close()
    return 0


def send_asset(args):
    client = UnderstudyClient(args.ingest, timeout=args.timeout, retries=args.retries)
    try:
        ack = client.asset(args.project[0], args.asset, args.width, args.height)
    except (ServerError, NoReply) as e:
        print(json.dumps({"error": str(e), "reconnects": client.reconnects}))
        return 1
    finally:
        client.close()
    print(json.dumps({"lsn": ack["lsn"], "duplicate": ack["duplicate"],
                      "reconnects": client.reconnects}))
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["demo", "watch", "latest", "asset"])
    parser.add_argument("--ingest", default="tcp://127.0.0.1:5555")
    parser.add_argument("--publish", default="tcp://127.0.0.1:5556")
    parser.add_argument("--project", action="append")
    parser.add_argument("--timeout", type=float, default=2.5, help="seconds per attempt")
    parser.add_argument("--retries", type=int, default=3, help="resends after the first attempt")
    parser.add_argument("--asset", default="img-1")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    args = parser.parse_args(argv)
    args.project = args.project or ["demo"]
    if args.command == "demo":
        args.project = args.project[0]
        return demo(args)
    return {"watch": watch, "latest": latest, "asset": send_asset}[args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
