import type { McpScanFailureReason } from '@aim/contracts';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { isRefusedByGuard } from '../../../platform/net/outbound-guard.js';

/**
 * Why a scan failed, for machines (one of MCP_SCAN_FAILURE_REASONS) and for people (what happened and
 * what to do about it). Every way a scan can end badly becomes one of these; none escapes as a crash.
 */
export class ScanFailure extends Error {
  constructor(
    readonly reason: McpScanFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'ScanFailure';
  }
}

/** What the scan was doing, for the message ("did not answer initialize"). */
export type ScanPhase = 'connect' | 'initialize' | 'tools/list' | 'resources/list' | 'prompts/list';

function* causes(error: unknown): Generator<unknown> {
  for (let e: unknown = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) yield e;
}

function codeOf(error: unknown): string {
  for (const e of causes(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return '';
}

function messageOf(error: unknown): string {
  const parts: string[] = [];
  for (const e of causes(error)) {
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && message && !parts.some((p) => p.includes(message))) parts.push(message);
  }
  return (parts.join(': ') || String(error)).slice(0, 400);
}

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUTS = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const TLS = /CERT|TLS|SSL|HOSTNAME|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO|ERR_SSL/;

/** The failure an error means, in the words a person can act on. */
export function classifyScanError(error: unknown, phase: ScanPhase, deadlineMs: number): ScanFailure {
  for (const e of causes(error)) if (e instanceof ScanFailure) return e;
  const refused = isRefusedByGuard(error);
  if (refused) {
    return new ScanFailure(
      'address_refused',
      `AIM's outbound guard refused the connection: ${refused.message} Register a public https endpoint, or allow private networks (OUTBOUND_ALLOW_PRIVATE_NETWORKS=true) when MCP servers live on the internal network.`,
    );
  }
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) return timeoutFailure(phase, deadlineMs);
    if (error.code === ErrorCode.ConnectionClosed) return new ScanFailure('unreachable', `The connection closed during ${phase}: ${messageOf(error)}`);
    return new ScanFailure('protocol_error', `The server answered ${phase} with an error (${error.code}): ${messageOf(error)}`);
  }
  if (/\bbad port\b/.test(messageOf(error))) {
    return new ScanFailure('address_refused', 'The endpoint uses a port that HTTP clients refuse (the Fetch standard’s bad ports); serve the MCP server on another port.');
  }
  const name = (error as { name?: unknown })?.name;
  if (name === 'AbortError' || name === 'TimeoutError') return timeoutFailure(phase, deadlineMs);
  const code = codeOf(error);
  if (DNS.has(code)) return new ScanFailure('dns_failed', `The host name of the endpoint does not resolve (${code}); check the URL registered for the server.`);
  if (UNREACHABLE.has(code)) {
    return new ScanFailure('unreachable', `Could not connect to the server or the connection broke (${code}) during ${phase}; check that it runs and listens at the registered URL.`);
  }
  if (TIMEOUTS.has(code)) return timeoutFailure(phase, deadlineMs);
  if (TLS.test(code)) {
    return new ScanFailure('tls_failed', `TLS failed (${code}): ${messageOf(error)}. The server must present a certificate valid for its host name and trusted by AIM.`);
  }
  if (name === 'ZodError' || error instanceof SyntaxError) {
    return new ScanFailure('protocol_error', `The server's answer to ${phase} is not valid JSON-RPC for MCP: ${messageOf(error)}`);
  }
  return new ScanFailure('protocol_error', `The scan failed during ${phase}: ${messageOf(error)}`);
}

export function timeoutFailure(phase: ScanPhase, deadlineMs: number): ScanFailure {
  return phase === 'initialize' || phase === 'connect'
    ? new ScanFailure('timeout', `The server did not answer initialize in time; AIM gives up on a server that does not answer (the scan's deadline is ${deadlineMs} ms).`)
    : new ScanFailure('timeout', `The scan did not finish within its deadline of ${deadlineMs} ms (it was waiting for ${phase}).`);
}
