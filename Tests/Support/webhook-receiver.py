#!/usr/bin/env python3
"""A webhook receiver for tests: verifies every POST with the standardwebhooks package (the reference verifier)
and logs one JSON line per delivery. Listens on 127.0.0.1; prints the port it bound as its first line of stdout.

  webhook-receiver.py --secret whsec_... --log FILE [--port 0] [--statuses 200] [--delay 0]
                      [--answer-bytes 0] [--close-after-each] [--tls-cert PEM --tls-key PEM]

--statuses: the status of each answer in turn, the last one repeated (500,500,200); a 3xx carries a Location.
--delay: seconds to wait before answering (to test the sender's timeout). --answer-bytes: the answer's body size.
Connections persist (HTTP/1.1) unless --close-after-each: then each is closed after its answer without saying so
(no Connection: close), as by a server whose idle timeout ends just as the client sends its next request.
Each log line: {"id", "verified", "error", "status", "path", "headers" (names lower-cased), "body" (text),
"received" (seconds since the epoch, when the request's body was in), "peer" (the sender's port: one per
connection)}.
"""
import argparse
import http.server
import json
import ssl
import sys
import threading
import time

from standardwebhooks.webhooks import Webhook

options = argparse.ArgumentParser()
options.add_argument("--secret", required=True)
options.add_argument("--log", required=True)
options.add_argument("--port", type=int, default=0)
options.add_argument("--statuses", default="200")
options.add_argument("--delay", type=float, default=0)
options.add_argument("--answer-bytes", type=int, default=0)
options.add_argument("--close-after-each", action="store_true")
options.add_argument("--tls-cert")
options.add_argument("--tls-key")
arguments = options.parse_args()

statuses = [int(status) for status in arguments.statuses.split(",")]
lock = threading.Lock()
answered = 0


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global answered
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received = time.time()
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            Webhook(arguments.secret).verify(body, headers)
            verified, error = True, None
        except Exception as exception:
            verified, error = False, f"{type(exception).__name__}: {exception}"
        with lock:
            status = statuses[min(answered, len(statuses) - 1)]
            answered += 1
            with open(arguments.log, "a") as log:
                log.write(json.dumps({"id": headers.get("webhook-id"), "verified": verified, "error": error,
                                      "status": status, "path": self.path, "headers": headers,
                                      "body": body.decode("utf-8", "replace"), "received": received,
                                      "peer": self.client_address[1]}) + "\n")
        time.sleep(arguments.delay)
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.send_header("Content-Length", str(arguments.answer_bytes))
        self.end_headers()
        self.wfile.write(b"x" * arguments.answer_bytes)
        self.close_connection = arguments.close_after_each

    def log_message(self, *_):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a sender that gave up (timeout, answer too long) is not the receiver's error


server = Server(("127.0.0.1", arguments.port), Receiver)
if arguments.tls_cert:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(arguments.tls_cert, arguments.tls_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
