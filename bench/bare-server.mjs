// The ceiling: a bare node:http server answering the same bytes as AIM's /api/v1/meta.
import { createServer } from 'node:http';

const body = process.env.BENCH_BODY ?? '{}';
const port = Number(process.env.PORT ?? 0);
createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(port, '127.0.0.1', () => process.send?.('ready'));
