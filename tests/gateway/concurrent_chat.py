"""Sends N chat completions (max_tokens 5) at once, spread round robin over the given URLs, and prints
"admitted refused other" (HTTP 200, 429, anything else). usage: concurrent_chat.py N KEY URL [URL...]
(KEY "-" sends no Authorization header)."""
import json
import sys
import threading
import urllib.error
import urllib.request

n, key, urls = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
body = json.dumps({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hello"}]}).encode()
headers = {"Content-Type": "application/json"}
if key != "-":
    headers["Authorization"] = "Bearer " + key
codes, lock = [], threading.Lock()


def one(i):
    try:
        code = urllib.request.urlopen(urllib.request.Request(urls[i % len(urls)], data=body, headers=headers), timeout=60).status
    except urllib.error.HTTPError as e:
        code = e.code
    except Exception:
        code = 0
    with lock:
        codes.append(code)


threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(codes.count(200), codes.count(429), len(codes) - codes.count(200) - codes.count(429))
