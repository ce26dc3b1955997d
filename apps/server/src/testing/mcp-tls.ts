import { execFile } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A self-signed certificate for an IP address, made with the openssl CLI, and the SHA-256 of its DER form. */
export async function selfSignedCertificate(ip: string): Promise<{ keyPem: string; certificatePem: string; sha256: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'aim-mcp-tls-'));
  try {
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${ip}`, '-addext', `subjectAltName=IP:${ip}`,
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    const certificatePem = await readFile(join(dir, 'cert.pem'), 'utf8');
    const keyPem = await readFile(join(dir, 'key.pem'), 'utf8');
    return { keyPem, certificatePem, sha256: createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('hex') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
