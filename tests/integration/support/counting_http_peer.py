"""A bank (or any HTTP peer) for tests: Python's own ThreadingHTTPServer, counting what it gets.

Every POST is logged (one line: the request body) before it is answered, after --delay-ms, with
200 and {"tradeNo": "T<n>", "seen": <n>} where n counts the POSTs so far, or with 422 and
{"error": "declined", "seen": <n>} when the body has the word DECLINE (a bank refusing the
payment). While the file named by --down-file exists it answers 503 instead and logs nothing.
With --log-header NAME each line starts with that request header's value and a space (which
gateway node sent it). With --key-field NAME, a POST that arrives while another whose JSON body
has the same value of that field is still being answered is also written to the log's
".overlaps" file: two deliveries of one key under way at once. Prints "peer listening on PORT".
"""

import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", required=True)
    parser.add_argument("--down-file", required=True)
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--log-header", default="")
    parser.add_argument("--key-field", default="")
    args = parser.parse_args()
    lock = threading.Lock()
    count = [0]
    busy_keys = {}

    def key_of(body):
        if not args.key_field:
            return None
        try:
            return str(json.loads(body).get(args.key_field))
        except (ValueError, AttributeError):
            return None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if os.path.exists(args.down_file):
                self.answer(503, b'{"error":"down"}')
                return
            key = key_of(body)
            line = body.replace(b"\n", b" ")
            if args.log_header:
                line = self.headers.get(args.log_header, "-").encode() + b" " + line
            with lock:
                count[0] += 1
                n = count[0]
                with open(args.log, "ab") as log:
                    log.write(line + b"\n")
                if key is not None:
                    if busy_keys.get(key, 0) > 0:
                        with open(args.log + ".overlaps", "ab") as overlaps:
                            overlaps.write(line + b"\n")
                    busy_keys[key] = busy_keys.get(key, 0) + 1
            try:
                time.sleep(args.delay_ms / 1000.0)
            finally:
                if key is not None:
                    with lock:
                        busy_keys[key] -= 1
            if b"DECLINE" in body:
                self.answer(422, json.dumps({"error": "declined", "seen": n}).encode())
            else:
                self.answer(200, json.dumps({"tradeNo": "T%d" % n, "seen": n}).encode())

        def answer(self, status, payload):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *unused):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("peer listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
