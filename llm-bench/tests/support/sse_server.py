#!/usr/bin/env python3
"""An OpenAI-compatible streaming server that logs, per request, when it did what on
CLOCK_MONOTONIC: the "external server" of tests/external_server_log.rs.

Standard library only. Usage: sse_server.py LOG_PATH [CONTENT_CHUNKS] [GAP_MS]

Binds 127.0.0.1 on a port the OS picks and prints that port as the first line of stdout.
Answers POST /v1/chat/completions with an SSE stream (chunked, keep-alive): a role chunk,
CONTENT_CHUNKS content chunks GAP_MS apart (the first one GAP_MS after the role chunk), a
finish_reason "stop" chunk, a usage chunk and `data: [DONE]`. Every response carries
`x-request-id: ext-<n>` (n counts from 1). For each request it appends one JSON line to
LOG_PATH, flushed, before it sends the final `data: [DONE]` (so a client that has read the
whole stream finds the line):

    {"request_id": "ext-1", "received_ns": ..., "first_write_ns": ..., "writes_ns": [...]}

received_ns: time.monotonic_ns() once the request's head and body were read;
first_write_ns: just before the first content chunk was written; writes_ns: just before
each content chunk was written. time.monotonic_ns() is CLOCK_MONOTONIC on Linux.

Each chunk is its own write on a socket without Nagle (TCP_NODELAY), so it leaves when
written. The server exits when its stdin reaches end of file (its parent is gone).
"""

import http.server
import itertools
import json
import os
import socket
import sys
import threading
import time

LOG_LOCK = threading.Lock()
IDS = itertools.count(1)
IDS_LOCK = threading.Lock()


def next_id():
    with IDS_LOCK:
        return "ext-%d" % next(IDS)


def sse(obj):
    if isinstance(obj, str):
        return ("data: %s\n\n" % obj).encode()
    return ("data: %s\n\n" % json.dumps(obj, separators=(",", ":"))).encode()


def chunk(created, model, delta, finish=None):
    return {
        "id": "chatcmpl-ext",
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ext-sse/1"

    def setup(self):
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass  # keep stderr quiet; the JSON log is the record

    def write_chunk(self, data):
        """One chunk of the chunked body: one write, flushed."""
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        received_ns = time.monotonic_ns()
        if self.path.rstrip("/") != "/v1/chat/completions":
            self.send_error(404)
            return
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            self.send_error(400)
            return
        request_id = next_id()
        model = req.get("model") or "ext-model"
        server = self.server
        created = int(time.time())

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", request_id)
        self.end_headers()  # writes and flushes the head

        self.write_chunk(sse(chunk(created, model, {"role": "assistant", "content": ""})))
        writes_ns = []
        for i in range(server.content_chunks):
            data = sse(chunk(created, model, {"content": "tok%d " % i}))
            time.sleep(server.gap_s)
            writes_ns.append(time.monotonic_ns())
            self.write_chunk(data)
        self.write_chunk(sse(chunk(created, model, {}, "stop")))
        usage = {
            "prompt_tokens": 8,
            "completion_tokens": server.content_chunks,
            "total_tokens": 8 + server.content_chunks,
        }
        self.write_chunk(
            sse(
                {
                    "id": "chatcmpl-ext",
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
            )
        )
        line = {
            "request_id": request_id,
            "received_ns": received_ns,
            "first_write_ns": writes_ns[0] if writes_ns else None,
            "writes_ns": writes_ns,
        }
        with LOG_LOCK:
            server.log.write(json.dumps(line) + "\n")
            server.log.flush()
        self.write_chunk(sse("[DONE]"))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def exit_when_stdin_closes():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: sse_server.py LOG_PATH [CONTENT_CHUNKS] [GAP_MS]")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.log = open(sys.argv[1], "a", encoding="utf-8")
    server.content_chunks = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    server.gap_s = (float(sys.argv[3]) if len(sys.argv) > 3 else 5.0) / 1000.0
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
