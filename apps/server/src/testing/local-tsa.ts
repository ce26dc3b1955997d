import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real RFC 3161 time-stamping authority for tests: OpenSSL's `ts -reply` (OpenSSL 3), with a CA and
 * a TSA certificate (extendedKeyUsage timeStamping, critical) made in a temporary folder, behind a small
 * HTTP server that speaks RFC 3161 §3.4 (POST application/timestamp-query → application/timestamp-reply).
 * `down()` makes it answer 503 (an authority that is unavailable), `up()` brings it back.
 */
export interface LocalTsa {
  url: string;
  /** PEM of the CA certificate (what the verifier's --tsa-ca takes). */
  caPem: string;
  caFile: string;
  /** Requests answered with a token so far. */
  readonly stamped: number;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

const TSA_CONFIG = (dir: string) => `
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = ${dir}
serial = ${dir}/tsaserial
crypto_device = builtin
signer_cert = ${dir}/tsa.crt
certs = ${dir}/ca.crt
signer_key = ${dir}/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.55555.1.1
other_policies = 1.3.6.1.4.1.55555.1.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;

const TSA_EXTENSIONS = `
[ tsa_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

export async function startLocalTsa(): Promise<LocalTsa> {
  const dir = await mkdtemp(join(tmpdir(), 'aim-tsa-'));
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=AIM test TSA root');
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=AIM test TSA');
  await writeFile(join(dir, 'tsa-ext.cnf'), TSA_EXTENSIONS);
  await openssl('x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tsa.crt', '-days', '2', '-extfile', 'tsa-ext.cnf', '-extensions', 'tsa_ext');
  await writeFile(join(dir, 'tsaserial'), '01\n');
  await writeFile(join(dir, 'tsa.cnf'), TSA_CONFIG(dir));
  const caPem = await readFile(join(dir, 'ca.crt'), 'utf8');

  let available = true;
  let stamped = 0;
  let counter = 0;
  // One reply at a time: openssl keeps the serial number in a file.
  let queue: Promise<unknown> = Promise.resolve();
  const reply = async (query: Buffer): Promise<Buffer> => {
    counter += 1;
    const name = `q${counter}`;
    await writeFile(join(dir, `${name}.tsq`), query);
    await openssl('ts', '-reply', '-config', 'tsa.cnf', '-queryfile', `${name}.tsq`, '-out', `${name}.tsr`);
    return readFile(join(dir, `${name}.tsr`));
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      if (!available) {
        response.writeHead(503, { 'content-type': 'text/plain' }).end('time-stamping authority unavailable');
        return;
      }
      if (request.method !== 'POST' || request.headers['content-type'] !== 'application/timestamp-query') {
        response.writeHead(415, { 'content-type': 'text/plain' }).end('POST application/timestamp-query');
        return;
      }
      const work = queue.then(() => reply(Buffer.concat(chunks)));
      queue = work.catch(() => undefined);
      work.then(
        (der) => {
          stamped += 1;
          response.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(der);
        },
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tsr`,
    caPem,
    caFile: join(dir, 'ca.crt'),
    get stamped() {
      return stamped;
    },
    down: () => {
      available = false;
    },
    up: () => {
      available = true;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
