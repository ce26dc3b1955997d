// The ceiling: a bare node:http server answering the same bytes as AIM — the same body and, unless
// BENCH_MINIMAL is set, the same response headers (captured from AIM at the start of the run).
import { createServer } from 'node:http';

const body = process.env.BENCH_BODY ?? '{}';
const headers = JSON.parse(process.env.BENCH_HEADERS ?? '{}');
headers['content-length'] = String(Buffer.byteLength(body));
createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
}).listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => process.send?.('ready'));
