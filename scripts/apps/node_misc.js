// node_misc.js: libuv beyond sockets, in one Node.js process. Prints one
// deterministic line per check (compared between the native and the
// interpoll run) and exits 1 when a check fails; bounded by a 60 s timer.
//  - timers: setTimeout order and lower bounds, setInterval, setImmediate,
//    clearTimeout;
//  - child processes: `node -e` with piped stdin/stdout, `sh -c` exit codes
//    and signals, several at once, execFile;
//  - fs.watch (inotify) on a temporary directory: create, write, rename,
//    delete;
//  - the thread pool (fs, crypto.pbkdf2) and worker_threads messages: both
//    wake the loop through uv_async, an eventfd.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const cp = require('child_process');
const crypto = require('crypto');
const { Worker } = require('worker_threads');

const guard = setTimeout(() => { console.log('FAIL timed out'); process.exit(2); }, 60000);
let failed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}`);
  if (!ok) { failed++; console.error(`node_misc: ${name}: ${detail || ''}`); }
}
const now = () => Number(process.hrtime.bigint()) / 1e6;

async function timers() {
  const order = [];
  const t0 = now();
  const late = [];
  await new Promise((resolve) => {
    for (const d of [50, 10, 30, 0, 20, 40, 5]) {
      setTimeout(() => { order.push(d); if (now() - t0 < d - 1) late.push(d); if (order.length === 7) resolve(); }, d);
    }
  });
  check('timers fire in deadline order', order.join(',') === '0,5,10,20,30,40,50', order.join(','));
  check('timers never fire early', late.length === 0, late.join(','));

  const ticks = await new Promise((resolve) => {
    let n = 0; const t1 = now();
    const iv = setInterval(() => { if (++n === 10) { clearInterval(iv); resolve([n, now() - t1]); } }, 10);
  });
  check('setInterval 10 x 10ms', ticks[0] === 10 && ticks[1] >= 99, JSON.stringify(ticks));

  const seq = [];
  await new Promise((resolve) => {
    setTimeout(() => seq.push('timeout'), 0);
    setImmediate(() => seq.push('immediate'));
    process.nextTick(() => seq.push('tick'));
    const cancelled = setTimeout(() => seq.push('cancelled'), 5);
    clearTimeout(cancelled);
    setTimeout(resolve, 30);
  });
  check('nextTick first, cleared timer never runs', seq[0] === 'tick' && !seq.includes('cancelled') && seq.length === 3, seq.join(','));

  // a long idle wait: the loop blocks in epoll_pwait with a timeout
  const t2 = now();
  await new Promise((r) => setTimeout(r, 300));
  const idle = now() - t2;
  check('300ms idle timer', idle >= 299 && idle < 3000, idle.toFixed(1));
}

function run(cmd, args, input) {
  return new Promise((resolve) => {
    const c = cp.spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => out += d);
    c.on('close', (code, signal) => resolve({ out, code, signal }));
    c.stdin.on('error', () => {});  // EPIPE when the child exits before reading: a race natively too
    if (input) c.stdin.end(input); else c.stdin.end();
  });
}

async function children() {
  const r1 = await run(process.execPath, ['-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stdout.write(s.toUpperCase());process.exit(3)})'], 'hello from parent\n'.repeat(1000));
  check('node -e child: stdin to stdout, exit 3', r1.out === 'HELLO FROM PARENT\n'.repeat(1000) && r1.code === 3, JSON.stringify({ len: r1.out.length, code: r1.code }));
  const r2 = await run('sh', ['-c', 'echo out; exit 7']);
  check('sh -c exit 7', r2.out === 'out\n' && r2.code === 7, JSON.stringify(r2));
  const r3 = await run('sh', ['-c', 'kill -TERM $$']);
  check('sh -c killed by SIGTERM', r3.signal === 'SIGTERM', JSON.stringify(r3));
  const many = await Promise.all(Array.from({ length: 8 }, (_, i) => run('sh', ['-c', `sleep 0.0${i}; echo ${i}`])));
  check('8 concurrent sh -c children', many.every((r, i) => r.out === `${i}\n` && r.code === 0), JSON.stringify(many));
  const r4 = await new Promise((resolve) => cp.execFile(process.execPath, ['-e', 'setTimeout(()=>console.log("late"),50)'], (err, out) => resolve({ err, out })));
  check('execFile node -e with a timer', !r4.err && r4.out === 'late\n', JSON.stringify(r4));
}

async function watch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interpoll-node-'));
  const seen = new Set();
  const w = fs.watch(dir, (event, name) => seen.add(`${event}:${name}`));
  const waitFor = (key) => new Promise((resolve) => {
    const t0 = now();
    const iv = setInterval(() => { if (seen.has(key) || now() - t0 > 5000) { clearInterval(iv); resolve(seen.has(key)); } }, 5);
  });
  await new Promise((r) => setTimeout(r, 50));
  fs.writeFileSync(path.join(dir, 'a.txt'), 'one');
  check('fs.watch sees a created file', await waitFor('rename:a.txt'), [...seen].join(' '));
  fs.appendFileSync(path.join(dir, 'a.txt'), 'two');
  check('fs.watch sees a write', await waitFor('change:a.txt'), [...seen].join(' '));
  fs.renameSync(path.join(dir, 'a.txt'), path.join(dir, 'b.txt'));
  check('fs.watch sees a rename', await waitFor('rename:b.txt'), [...seen].join(' '));
  seen.clear();
  fs.unlinkSync(path.join(dir, 'b.txt'));
  check('fs.watch sees a delete', await waitFor('rename:b.txt'), [...seen].join(' '));
  w.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

async function pool() {
  const hashes = await Promise.all(Array.from({ length: 16 }, (_, i) => new Promise((resolve, reject) =>
    crypto.pbkdf2(`pw${i}`, 'salt', 2000, 16, 'sha256', (e, k) => e ? reject(e) : resolve(k.toString('hex'))))));
  const sync = Array.from({ length: 16 }, (_, i) => crypto.pbkdf2Sync(`pw${i}`, 'salt', 2000, 16, 'sha256').toString('hex'));
  check('16 thread-pool pbkdf2 jobs', hashes.join() === sync.join(), '');
  const f = path.join(os.tmpdir(), `interpoll-node-${process.pid}.bin`);
  const data = crypto.randomBytes(1 << 20);
  await fs.promises.writeFile(f, data);
  const back = await fs.promises.readFile(f);
  await fs.promises.unlink(f);
  check('thread-pool fs write/read 1 MiB', back.equals(data), '');
  const echoed = await new Promise((resolve, reject) => {
    const w = new Worker('const {parentPort}=require("worker_threads");parentPort.on("message",m=>{if(m===null)process.exit(0);parentPort.postMessage(m*2)})', { eval: true });
    let sum = 0, n = 0;
    w.on('message', (m) => { sum += m; if (++n === 1000) w.postMessage(null); else w.postMessage(n); });
    w.on('error', reject);
    w.on('exit', () => resolve(sum));
    w.postMessage(0);
  });
  check('worker_threads 1000 round trips', echoed === 999 * 1000, String(echoed));
}

(async () => {
  await timers();
  await children();
  await watch();
  await pool();
  clearTimeout(guard);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log(`FAIL exception ${e && e.stack}`); process.exit(1); });
