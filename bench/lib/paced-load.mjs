// An open-loop load at a fixed rate: requests are due on an even schedule (every 1/rate seconds)
// whatever the answers do, and each latency is counted from the moment the request was due, so
// time spent waiting for a free connection behind a slow answer is counted too (no coordinated
// omission). autocannon's rate limit works differently: each connection sends its quota for the
// second back to back at the top of every second and then waits, so the server sees full-speed
// bursts rather than the rate.
//
// It is as lean as autocannon on the load side (node:http's client costs several times more CPU
// per request, which on a two-core machine is taken from the server): keep-alive sockets, one
// request in flight per socket, requests written as raw bytes, answers parsed just enough to find
// their end (status line, Content-Length; AIM never answers these requests in chunks).
import net from 'node:net';

/**
 * Send GET `path` at `rate` per second for `seconds` over up to `connections` sockets; `headersFor`
 * gives each request's extra headers when it is sent. Or, with `requestFor`, any request: it gives
 * `{ method, path, headers, body }` for each request when it is sent (method defaults to GET, path
 * to the URL's, body to none; Content-Length is added for a body). Resolves with every latency in ms
 * (from the due time), the count of answers whose status was not `expect`, and connection errors.
 * Every request sent is answered or counted as an error before it resolves: nothing is left in flight.
 */
export async function pacedLoad({ url, rate, seconds, headersFor, requestFor, connections = 32, expect = 200 }) {
  const { hostname, port, pathname, search, host } = new URL(url);
  const path = pathname + search;
  const latencies = [];
  let unexpected = 0;
  let errors = 0;
  const due = []; // due times of requests waiting for a free socket
  const idle = [];
  const sockets = [];
  let finished;
  const done = new Promise((resolve) => (finished = resolve));
  let scheduling = true;
  let inflight = 0;

  const requestBytes = () => {
    if (requestFor) {
      const r = requestFor();
      let head = `${r.method ?? 'GET'} ${r.path ?? path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n`;
      for (const [name, value] of Object.entries(r.headers ?? {})) head += `${name}: ${value}\r\n`;
      if (r.body === undefined || r.body === null) return `${head}\r\n`;
      const body = Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
      return Buffer.concat([Buffer.from(`${head}content-length: ${body.length}\r\n\r\n`, 'latin1'), body]);
    }
    let head = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n`;
    for (const [name, value] of Object.entries(headersFor())) head += `${name}: ${value}\r\n`;
    return `${head}\r\n`;
  };
  const maybeFinish = () => {
    if (!scheduling && inflight === 0 && due.length === 0) finished();
  };
  const send = (conn, dueAt) => {
    conn.dueAt = dueAt;
    conn.busy = true;
    inflight += 1;
    conn.socket.write(requestBytes());
  };
  const release = (conn) => {
    if (conn.dead) return;
    if (due.length > 0) send(conn, due.shift());
    else idle.push(conn);
  };

  const open = () =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: hostname, port: Number(port) }, () => resolve(conn));
      socket.setNoDelay(true);
      const conn = { socket, buffer: Buffer.alloc(0), dueAt: 0, busy: false, dead: false };
      socket.on('data', (chunk) => {
        conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
        // One answer per request in flight: status line, headers, Content-Length bytes of body.
        for (;;) {
          const end = conn.buffer.indexOf('\r\n\r\n');
          if (end === -1) return;
          const head = conn.buffer.toString('latin1', 0, end);
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          if (conn.buffer.length < end + 4 + length) return;
          conn.buffer = conn.buffer.subarray(end + 4 + length);
          const status = Number(head.slice(9, 12));
          latencies.push(performance.now() - conn.dueAt);
          if (status !== expect) unexpected += 1;
          conn.busy = false;
          inflight -= 1;
          release(conn);
          maybeFinish();
        }
      });
      socket.on('error', reject);
      // A socket closed under a request (it never is, unless the server fails): count the request
      // as an error and stop using the socket.
      socket.on('close', () => {
        conn.dead = true;
        const i = idle.indexOf(conn);
        if (i !== -1) idle.splice(i, 1);
        if (conn.busy) {
          conn.busy = false;
          errors += 1;
          inflight -= 1;
          maybeFinish();
        }
      });
    });

  for (let i = 0; i < connections; i++) {
    const conn = await open();
    sockets.push(conn);
    idle.push(conn);
  }

  const start = performance.now();
  const end = start + seconds * 1000;
  const interval = 1000 / rate;
  let next = start;
  const tick = () => {
    const now = performance.now();
    while (next <= now && next < end) {
      const conn = idle.pop();
      if (conn) send(conn, next);
      else due.push(next);
      next += interval;
    }
    if (next < end) setTimeout(tick, Math.max(0, next - performance.now()));
    else {
      scheduling = false;
      maybeFinish();
    }
  };
  tick();
  // Should every socket die, the requests still waiting would never be sent: give up 30 s late.
  const giveUp = setTimeout(() => {
    errors += due.length;
    due.length = 0;
    finished();
  }, seconds * 1000 + 30_000);
  await done;
  clearTimeout(giveUp);
  const elapsed = (performance.now() - start) / 1000;
  for (const conn of sockets) conn.socket.destroy();
  return { latencies, count: latencies.length, elapsed, unexpected, errors };
}
