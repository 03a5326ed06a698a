"""A small model endpoint for the gateway tests: OpenAI-style chat completions and a JSON classifier.
usage: upstream.py PORT_FILE  (binds an ephemeral port on 127.0.0.1 and writes it to PORT_FILE)"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        if self.path.endswith("/v1/chat/completions"):
            text = request["messages"][-1]["content"]
            self._send(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": request.get("model", "m"),
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": "echo: " + text}}],
                             "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
                             "saw_authorization": "authorization" in {k.lower() for k in self.headers.keys()}})
        elif self.path == "/predict":
            self._send(200, {"label": 1, "probabilities": [0.25, 0.75]})
        else:
            self._send(404, {"error": "no such path"})

    def do_GET(self):
        self._send(404, {"error": "no such path"})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
