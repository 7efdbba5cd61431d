// node_uring.js [FILES]: Node.js file I/O with libuv's io_uring back end
// (run with UV_USE_IO_URING=1): libuv registers its io_uring fd in the
// loop's epoll and learns of completions through it. Under interpoll's
// default --io-uring=deny, io_uring_setup fails with ENOSYS and libuv does
// the same work with plain system calls and its thread pool. Writes,
// stats, reads back and removes FILES files (default 300) one after
// another in a temporary directory; prints a deterministic summary; exits
// 1 on a wrong result; bounded by a 60 s timer.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const n = parseInt(process.argv[2] || '300', 10);
const guard = setTimeout(() => { console.log('timed out'); process.exit(2); }, 60000);
(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interpoll-uring-'));
  let good = 0;
  try {
    for (let i = 0; i < n; i++) {
      const f = path.join(dir, `f${i}`);
      const data = `${i}:`.repeat(1 + (i % 97));
      await fs.promises.writeFile(f, data);
      const st = await fs.promises.stat(f);
      const back = await fs.promises.readFile(f, 'utf8');
      await fs.promises.unlink(f);
      if (st.size === Buffer.byteLength(data) && back === data) good++;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`files ${n} good ${good}`);
  clearTimeout(guard);
  process.exit(good === n ? 0 : 1);
})().catch((e) => { console.log(`exception ${e && e.stack}`); process.exit(1); });
