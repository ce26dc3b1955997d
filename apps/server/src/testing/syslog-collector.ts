import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';

/**
 * A syslog collector for tests: a real TCP (or TLS) listener on loopback that reads octet-counted
 * frames (RFC 6587 §3.4.1) and parses each RFC 5424 message, as a SIEM's receiver would. It can go
 * down (the listener closed, its connections cut) and come back on the same port.
 */
export interface SyslogMessage {
  pri: number;
  facility: number;
  severity: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** SD-ID → params, escapes undone. */
  structuredData: Record<string, Record<string, string>>;
  /** MSG, the BOM checked and removed. */
  msg: string;
  /** The message's length as framed. */
  length: number;
}

const NIL_OR_PRINTABLE = /^[!-~]+$/;

/** Parse one RFC 5424 message (the bytes inside a frame); throws on anything the RFC does not allow. */
export function parseSyslog(bytes: Buffer): SyslogMessage {
  let at = 0;
  const text = bytes.toString('latin1');
  const token = (what: string) => {
    const end = text.indexOf(' ', at);
    if (end < 0) throw new Error(`no ${what}`);
    const value = text.slice(at, end);
    at = end + 1;
    if (!NIL_OR_PRINTABLE.test(value)) throw new Error(`bad ${what}: ${JSON.stringify(value)}`);
    return value;
  };
  const head = /^<(\d{1,3})>(\d{1,2}) /.exec(text);
  if (!head) throw new Error(`no PRI/VERSION in ${JSON.stringify(text.slice(0, 40))}`);
  at = head[0].length;
  const pri = Number(head[1]);
  const timestamp = token('TIMESTAMP');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/.test(timestamp)) throw new Error(`bad TIMESTAMP ${timestamp}`);
  const hostname = token('HOSTNAME');
  const appName = token('APP-NAME');
  const procId = token('PROCID');
  const msgId = token('MSGID');
  if (hostname.length > 255 || appName.length > 48 || procId.length > 128 || msgId.length > 32) throw new Error('a header field is too long');
  const structuredData: SyslogMessage['structuredData'] = {};
  if (text[at] === '-') at += 1;
  else {
    while (text[at] === '[') {
      at += 1;
      const id = /^[^ =\]"]+/.exec(text.slice(at))?.[0];
      if (!id) throw new Error('no SD-ID');
      at += id.length;
      const params: Record<string, string> = {};
      while (text[at] === ' ') {
        const name = /^ ([^ =\]"]+)="/.exec(text.slice(at));
        if (!name) throw new Error('bad SD-PARAM');
        at += name[0].length;
        let value = '';
        for (;;) {
          const c = text[at++];
          if (c === undefined) throw new Error('unterminated SD-PARAM');
          if (c === '\\' && ['"', '\\', ']'].includes(text[at]!)) value += text[at++];
          else if (c === '"') break;
          else if (c === ']') throw new Error('unescaped ] in a PARAM-VALUE');
          else value += c;
        }
        params[name[1]!] = Buffer.from(value, 'latin1').toString('utf8');
      }
      if (text[at] !== ']') throw new Error('unterminated SD-ELEMENT');
      at += 1;
      structuredData[id] = params;
    }
    if (Object.keys(structuredData).length === 0) throw new Error('no STRUCTURED-DATA');
  }
  let msg = '';
  if (at < bytes.length) {
    if (text[at] !== ' ') throw new Error('no space before MSG');
    const body = bytes.subarray(at + 1);
    if (!(body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf)) throw new Error('MSG without the UTF-8 BOM');
    msg = new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(3));
  }
  return { pri, facility: pri >> 3, severity: pri & 7, version: Number(head[2]), timestamp, hostname, appName, procId, msgId, structuredData, msg, length: bytes.length };
}

export interface SyslogCollector {
  readonly port: number;
  /** Every message received, in order of arrival (across connections). */
  readonly messages: SyslogMessage[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Problems with what arrived (bad framing, unparseable messages): a test expects none. */
  readonly problems: string[];
  /** Poll until `predicate` holds (or fail after `ms`). */
  until(what: string, predicate: (messages: SyslogMessage[]) => boolean, ms?: number): Promise<void>;
  /** The collector goes down: no more connections, the open ones cut. */
  down(): Promise<void>;
  /** Back up on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A throwaway self-signed certificate for 127.0.0.1 and localhost, made with openssl. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'aim-syslog-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startSyslogCollector(options: { tls?: { key: string; cert: string } } = {}): Promise<SyslogCollector> {
  const messages: SyslogMessage[] = [];
  const problems: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let port = 0;

  const onConnection = (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const space = buffered.indexOf(0x20);
        if (space < 0) break;
        const length = buffered.subarray(0, space).toString('ascii');
        if (!/^[1-9]\d*$/.test(length)) {
          problems.push(`bad frame length ${JSON.stringify(length)}`);
          socket.destroy();
          return;
        }
        if (buffered.length < space + 1 + Number(length)) break;
        const bytes = buffered.subarray(space + 1, space + 1 + Number(length));
        buffered = buffered.subarray(space + 1 + Number(length));
        try {
          messages.push(parseSyslog(bytes));
        } catch (error) {
          problems.push((error as Error).message);
        }
      }
    });
  };
  let server: Server;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onConnection) : createTcpServer(onConnection);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();

  const down = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return {
    get port() {
      return port;
    },
    messages,
    get connections() {
      return connections;
    },
    problems,
    async until(what, predicate, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (!predicate(messages)) {
        if (Date.now() > deadline) throw new Error(`the collector did not see ${what} within ${ms / 1000} s (${messages.length} messages, problems: ${problems.join('; ') || 'none'})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    down,
    up: listen,
    close: async () => {
      if (server.listening) await down();
    },
  };
}
