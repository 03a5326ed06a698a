#!/usr/bin/python3
"""A classifier endpoint for the black-box tests: serves a TorchScript model with Debian's python3-torch.

usage: model_server.py MODEL.pt PORT [probabilities|labels]
POST {"inputs": [[...], ...]} -> {"probabilities": [[...]]} or {"labels": [...]}
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

model = torch.jit.load(sys.argv[1])
model.eval()
mode = sys.argv[3] if len(sys.argv) > 3 else "probabilities"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            inputs = torch.tensor(json.loads(self.rfile.read(length))["inputs"], dtype=torch.float32)
            with torch.no_grad():
                probabilities = torch.softmax(model(inputs), 1)
            body = {"labels": probabilities.argmax(1).tolist()} if mode == "labels" else {"probabilities": probabilities.tolist()}
            status = 200
        except Exception as error:  # the tests send malformed bodies on purpose
            body, status = {"error": str(error)}, 400
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
print("ready", flush=True)
server.serve_forever()
