"""Time to the first streamed event and to the end of the stream, over N sequential streaming chat requests
on one keep-alive connection (raw socket: no client library buffering in the way).
usage: ttft.py PORT PATH N  -> prints "ttft_p50_ms ttft_p99_ms total_p50_ms"."""
import json
import socket
import sys
import time

port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": "bench"}]}).encode()
request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
sock = socket.create_connection(("127.0.0.1", port))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
firsts, totals = [], []
for _ in range(n):
    start = time.perf_counter()
    sock.sendall(request)
    seen, first = b"", None
    while not seen.endswith(b"\r\n0\r\n\r\n"):  # the last chunk of a chunked body
        data = sock.recv(65536)
        if not data:
            raise SystemExit("connection closed mid-stream")
        seen += data
        if first is None and b"data: " in seen:
            first = time.perf_counter() - start
    totals.append(time.perf_counter() - start)
    firsts.append(first)
firsts.sort()
totals.sort()
pick = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))] * 1000
print(f"{pick(firsts, 0.5):.3f} {pick(firsts, 0.99):.3f} {pick(totals, 0.5):.3f}")
