"""A Bot API server on loopback for the Telegram tests (tests/notifications/test_telegram.py
and the worker-kill test in test_delivery_faults.py): the methods the project uses
(getUpdates and sendMessage), answered from a script of faults (429 with retry_after, 403,
no answer), then 200 ok."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "123456:test-token"


def client_gone(sock: socket.socket) -> bool:
    readable, _w, _x = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class BotApi:
    """A Bot API server: records every call; answers from a script, then 200 ok."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.answers: list[tuple[int, dict] | float] = []  # a float: sleep that long first
        self.updates: list[dict] = []
        # Messages the Bot API really took: a client gone before the answer was written
        # (killed while waiting) did not get its message through.
        self.delivered: list[dict] = []
        self.waiting = threading.Event()
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                token, method = self.path.strip("/").split("/", 1)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                assert token == f"bot{TOKEN}"
                with api.lock:
                    api.calls.append((method, body))
                    answer = api.answers.pop(0) if api.answers and method != "getUpdates" else None
                if isinstance(answer, float):
                    api.waiting.set()
                    time.sleep(answer)
                    answer = None
                    if client_gone(self.connection):
                        return
                if answer is None:
                    if method == "getUpdates":
                        offset = body.get("offset", 0)
                        result = [u for u in api.updates if u["update_id"] >= offset]
                        answer = (200, {"ok": True, "result": result})
                    else:
                        answer = (200, {"ok": True, "result": {"message_id": len(api.calls)}})
                status, payload = answer
                if method == "sendMessage" and status == 200:
                    with api.lock:
                        api.delivered.append(body)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def sent(self) -> list[dict]:
        with self.lock:
            return [body for method, body in self.calls if method == "sendMessage"]
