"""A small model endpoint for the gateway tests: OpenAI-style chat completions (JSON and server-sent-event
streams), a JSON classifier, a health endpoint, and faults on request.
usage: upstream.py PORT_FILE [--tls CERT KEY]
Binds an ephemeral port on 127.0.0.1 and writes it to PORT_FILE. The last user message picks a behaviour:
  "slow"             answer after 3 s
  "die mid-stream"   (streaming) two events, then the connection is cut
  "long stream"      (streaming) 20 events 100 ms apart
  "leak"             repeats the system message, 7 characters per event (JSON: whole), then "LEAK-END"
  "refuse"           answers with a refusal ("I'm sorry, but I can't help with that.")
  "tools"            answers with two tool calls (streaming: split over deltas), finish_reason "tool_calls"
  "call NAME ARGS"   answers with one call of tool NAME with the arguments text ARGS (streaming: 4 bytes a delta)
  "cut call NAME ARGS" (streaming) as "call NAME ARGS", but the connection is cut before the finishing event
A last message from a tool (role "tool") is answered "echo: tool result: <its content>".
Any other text is echoed back as "echo: <text>". A file PORT_FILE.unhealthy makes /healthz answer 503.
/predict and /classify answer {"label", "probabilities"}: one row, or one per row of a list of rows in "inputs"."""
import json
import os
import socket
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


REFUSAL = "I'm sorry, but I can't help with that."


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body go out in two writes: with Nagle's algorithm the body waited for the gateway's
    # delayed ACK, 40 ms per answer on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _send(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _event(self, payload):
        data = payload if isinstance(payload, str) else json.dumps(payload)
        chunk = ("data: " + data + "\n\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.flush()

    def _stream(self, request, text):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        base = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "model": request.get("model", "m")}
        def delta(d, finish=None):
            return dict(base, choices=[{"index": 0, "delta": d, "finish_reason": finish}])
        self._event(delta({"role": "assistant", "content": ""}))
        if text == "die mid-stream":
            self._event(delta({"content": "partial "}))
            self._event(delta({"content": "answer"}))
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if text.startswith("call ") or text.startswith("cut call "):
            name, arguments = text[text.index("call ") + 5:].split(" ", 1)
            self._event(delta({"role": "assistant", "content": None, "tool_calls": [
                {"index": 0, "id": "call_up", "type": "function", "function": {"name": name, "arguments": ""}}]}))
            for i in range(0, len(arguments), 4):
                self._event(delta({"tool_calls": [{"index": 0, "function": {"arguments": arguments[i:i + 4]}}]}))
            if text.startswith("cut "):
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self._event(delta({}, "tool_calls"))
            self._event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        if text == "tools":
            for i, name in enumerate(["get_weather", "get_time"]):
                call = {"index": i, "id": "call_%d" % i, "type": "function", "function": {"name": name, "arguments": ""}}
                self._event(delta({"tool_calls": [call]}))
                self._event(delta({"tool_calls": [{"index": i, "function": {"arguments": '{"city":"Paris"}'}}]}))
            self._event(delta({}, "tool_calls"))
            self._event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        if text == "leak":
            system = next((m["content"] for m in request["messages"] if m.get("role") == "system"), "")
            words = [system[i:i + 7] for i in range(0, len(system), 7)] + [" LEAK-END"]
        elif text == "refuse":
            words = ["I'm sorry, but ", "I can't ", "help with that."]
        else:
            words = ["tick "] * 20 if text == "long stream" else ["echo: ", text]
        for w in words:
            if text == "long stream":
                time.sleep(0.1)
            self._event(delta({"content": w}))
        self._event(delta({}, "stop"))
        if (request.get("stream_options") or {}).get("include_usage"):
            self._event(dict(base, choices=[], usage={"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}))
        self._event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        if self.path.endswith("/v1/chat/completions"):
            last = request["messages"][-1]
            text = last["content"]
            if last.get("role") == "tool":
                text = "tool result: " + (text if isinstance(text, str) else json.dumps(text))
            if text == "slow":
                time.sleep(3)
            if request.get("stream"):
                return self._stream(request, text)
            if text == "leak":
                text = next((m["content"] for m in request["messages"] if m.get("role") == "system"), "")
            message = {"role": "assistant", "content": REFUSAL if text == "refuse" else "echo: " + text}
            if text.startswith("call "):
                name, arguments = text[5:].split(" ", 1)
                message = {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "call_up", "type": "function", "function": {"name": name, "arguments": arguments}}]}
            if text == "tools":
                message = {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "call_%d" % i, "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    for i in range(3)]}
            self._send(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": request.get("model", "m"),
                             "choices": [{"index": 0, "finish_reason": "tool_calls" if text == "tools" or text.startswith("call ") else "stop",
                                          "message": message}],
                             "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
                             "served_by": PORT,
                             "saw_authorization": "authorization" in {k.lower() for k in self.headers.keys()},
                             "authorization": self.headers.get_all("Authorization") or [],
                             "x_api_key": self.headers.get_all("X-Api-Key") or [],
                             "request_ids": self.headers.get_all("X-Modelguard-Request-Id") or [],
                             "path": self.path})
        elif self.path in ("/predict", "/classify"):
            inputs = request.get("inputs")
            if isinstance(inputs, list) and inputs and isinstance(inputs[0], list):
                rows = [[0.25, 0.75] if sum(r) >= 0 else [0.875, 0.125] for r in inputs]
                return self._send(200, {"labels": [max(range(2), key=r.__getitem__) for r in rows],
                                        "probabilities": rows, "served_by": PORT})
            self._send(200, {"label": 1, "probabilities": [0.25, 0.75], "served_by": PORT})
        else:
            self._send(404, {"error": "no such path"})

    def do_GET(self):
        if self.path == "/healthz":
            healthy = not os.path.exists(sys.argv[1] + ".unhealthy")
            return self._send(200 if healthy else 503, {"healthy": healthy})
        self._send(404, {"error": "no such path"})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients the tests cut off on purpose (broken pipes) are not news


server = Server(("127.0.0.1", 0), Handler)
if len(sys.argv) > 2 and sys.argv[2] == "--tls":
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = context.wrap_socket(server.socket, server_side=True)
PORT = server.server_address[1]
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(PORT))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
