"""Server-Sent Events from the standard library; listens on $PORT."""
import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>SSE</title></head>
<body><h1>Events</h1><ol id="events"></ol><script>
const es = new EventSource('events?count=1000&interval=0.5');
es.onmessage = (e) => { const li = document.createElement('li'); li.textContent = e.data;
  document.getElementById('events').appendChild(li); };
</script></body></html>"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urlparse(self.path)
        if url.path.endswith("/events"):
            return self._events(parse_qs(url.query))
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def _events(self, query):
        count = int(query.get("count", ["10"])[0])
        interval = float(query.get("interval", ["0.5"])[0])
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            for i in range(count):
                data = json.dumps({"n": i, "sent_ms": int(time.time() * 1000)})
                self.wfile.write(f"id: {i}\ndata: {data}\n\n".encode())
                self.wfile.flush()
                time.sleep(interval)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def log_message(self, fmt, *args):
        print(fmt % args, flush=True)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "7860"))
    print(f"python-sse listening on {port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
