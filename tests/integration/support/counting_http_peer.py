"""A bank (or any HTTP peer) for tests: Python's own ThreadingHTTPServer, counting what it gets.

Every POST is logged (one line: the request body) before it is answered, after --delay-ms, with
200 and {"tradeNo": "T<n>", "seen": <n>} where n counts the POSTs so far, or with 422 and
{"error": "declined", "seen": <n>} when the body has the word DECLINE (a bank refusing the
payment). While the file named by --down-file exists it answers 503 instead and logs nothing.
Prints "peer listening on PORT".
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
    args = parser.parse_args()
    lock = threading.Lock()
    count = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if os.path.exists(args.down_file):
                self.answer(503, b'{"error":"down"}')
                return
            with lock:
                count[0] += 1
                n = count[0]
                with open(args.log, "ab") as log:
                    log.write(body.replace(b"\n", b" ") + b"\n")
            time.sleep(args.delay_ms / 1000.0)
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
