// Webhook receivers for bench/webhooks.mjs, in a process of their own (forked): a node:http server on
// 127.0.0.1 that answers 200 at once, except under /slow/, where it answers after BENCH_SLOW_MS (5 s).
// Sends { port } to the parent once listening; `count` answers { count } (requests fully received).
import { createServer } from 'node:http';

const SLOW_MS = Number(process.env.BENCH_SLOW_MS ?? 5000);
let count = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    count++;
    if (req.url?.startsWith('/slow/')) setTimeout(() => res.end('ok'), SLOW_MS);
    else res.end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'count') process.send({ count });
});
// The bench process ended (or died): so does this one.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
