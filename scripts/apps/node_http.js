// node_http.js [REQUESTS] [CONCURRENCY]: an HTTP server and a client in one
// Node.js process (libuv's epoll loop), on 127.0.0.1 with an ephemeral port.
// The client sends REQUESTS requests (default 3000) over CONCURRENCY
// keep-alive sockets (default 50); half are GETs, half POST a body the
// server hashes. Each answer is checked. Prints a deterministic summary on
// stdout (compared between the native and the interpoll run) and the rate
// on stderr. Exits 1 on any wrong answer or error; bounded by a 60 s timer.
'use strict';
const http = require('http');
const crypto = require('crypto');

const total = parseInt(process.argv[2] || '3000', 10);
const concurrency = parseInt(process.argv[3] || '50', 10);
const guard = setTimeout(() => { console.error('node_http: timed out'); process.exit(2); }, 60000);

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const out = JSON.stringify({ method: req.method, url: req.url, len: body.length, sha: sha(body) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});

server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0, done = 0, good = 0, bad = 0, bytes = 0;
  const sockets = new Set();
  const t0 = process.hrtime.bigint();

  function one() {
    if (next >= total) return;
    const i = next++;
    const post = i % 2 === 1;
    const body = post ? Buffer.alloc(1 + (i * 37) % 8000, String.fromCharCode(97 + i % 26)) : Buffer.alloc(0);
    const req = http.request({ host: '127.0.0.1', port, agent, method: post ? 'POST' : 'GET',
                               path: `/item/${i}`, headers: { 'content-length': body.length } }, (res) => {
      sockets.add(res.socket);
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        bytes += text.length;
        let ok = false;
        try {
          const j = JSON.parse(text);
          ok = res.statusCode === 200 && j.method === (post ? 'POST' : 'GET') && j.url === `/item/${i}` &&
               j.len === body.length && j.sha === sha(body);
        } catch (e) { ok = false; }
        if (ok) good++; else { bad++; console.error(`node_http: bad answer for request ${i}: ${text.slice(0, 200)}`); }
        finish();
      });
    });
    req.on('error', (e) => { bad++; console.error(`node_http: request ${i}: ${e.message}`); finish(); });
    req.end(body);
  }
  function finish() {
    done++;
    if (done === total) {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      console.log(`requests ${total} good ${good} bad ${bad}`);
      console.error(`node_http: ${(total / secs).toFixed(0)} req/s, ${sockets.size} sockets`);
      agent.destroy();
      server.close(() => { clearTimeout(guard); process.exit(bad ? 1 : 0); });
    } else one();
  }
  for (let k = 0; k < Math.min(concurrency, total); k++) one();
});
