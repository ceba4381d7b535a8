// A WebSocket chat room. Listens on $PORT; the page at / is the client.
const http = require('http');
const { WebSocketServer } = require('ws');

const page = `<!doctype html><html><head><meta charset="utf-8"><title>Chat</title></head>
<body><h1>Chat</h1><ul id="log"></ul>
<form id="f"><input id="msg" autocomplete="off" placeholder="say something"><button>Send</button></form>
<script>
const url = new URL('ws', location.href); url.protocol = url.protocol.replace('http', 'ws');
const ws = new WebSocket(url);
ws.onmessage = (e) => { const li = document.createElement('li'); li.textContent = e.data;
  document.getElementById('log').appendChild(li); };
document.getElementById('f').onsubmit = (e) => { e.preventDefault();
  const m = document.getElementById('msg'); ws.send(m.value); m.value = ''; };
</script></body></html>`;

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(page);
});
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  if (!req.url.endsWith('/ws')) { socket.destroy(); return; }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    for (const client of wss.clients) {
      if (client.readyState === 1) client.send(data.toString());
    }
  });
});
const port = Number(process.env.PORT || 7860);
server.listen(port, '127.0.0.1', () => console.log(`node-chat listening on ${port}`));
