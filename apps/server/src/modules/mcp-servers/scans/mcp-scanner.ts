import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { z } from 'zod';
import type { OutboundGuard } from '../../../platform/net/outbound-guard.js';
import type { FinishedScan } from '../shared/scan-store.js';
import type { ScannedTool } from '../shared/scan-hooks.js';
import { classifyScanError, ScanFailure, timeoutFailure, type ScanPhase } from './scan-failure.js';
import { createScanHttp, createScanPool, type ScanHttp } from './scan-fetch.js';
import { DEFAULT_SCAN_LIMITS, reducePrompts, reduceResources, reduceTools, type ScanLimits } from './scan-items.js';

/**
 * Discovery through the real protocol (docs/mcp.md, "Scans"): AIM connects to a Streamable HTTP endpoint
 * as an MCP client (the MCP SDK's Client and transport) through the outbound guard, runs `initialize`,
 * then `tools/list`, `resources/list` and `prompts/list` (each only when the server declared the
 * capability) following `nextCursor`, and fetches the server card beside it. One deadline covers the whole
 * scan and a shorter one `initialize`, both enforced by aborting: a server that hangs never holds a worker.
 * The scanner never throws for anything the server does: every outcome is a result, a failure included.
 */
export type ScanOutcome = Omit<FinishedScan, 'id' | 'mcpServerId' | 'trigger' | 'requestedBy'> & { tools: ScannedTool[] };

export interface McpScannerOptions {
  guard: Pick<OutboundGuard, 'check' | 'createAgent'>;
  limits?: Partial<ScanLimits> | undefined;
  /** More certificates to trust (PEM) for https endpoints, besides the system's. */
  ca?: readonly string[] | undefined;
  /** How AIM names itself in initialize. */
  clientInfo?: { name: string; version: string };
}

/** Where the server card is looked for, in order (docs/mcp.md, "Server card"). */
export function serverCardUrls(endpoint: URL): URL[] {
  const reserved = new URL(endpoint.href);
  reserved.pathname = `${reserved.pathname.replace(/\/+$/, '')}/server-card`;
  reserved.search = '';
  return [reserved, new URL('/.well-known/mcp/server-card.json', endpoint)];
}

const SERVER_CARD_MEDIA_TYPE = 'application/mcp-server-card+json';

const pageSchema = (key: 'tools' | 'resources' | 'prompts') =>
  z.object({ [key]: z.array(z.unknown()), nextCursor: z.string().optional() }) as z.ZodType<Record<string, unknown> & { nextCursor?: string }>;

export function createMcpScanner(options: McpScannerOptions) {
  const limits: ScanLimits = { ...DEFAULT_SCAN_LIMITS, ...options.limits };
  const clientInfo = options.clientInfo ?? { name: 'aim-scanner', version: '1' };
  const pool = createScanPool({ guard: options.guard, timeoutMs: limits.deadlineMs, ca: options.ca });
  // One JSON Schema validator for every scan's client (the SDK would build one per client; a scan calls no tool, so it never validates with it).
  const jsonSchemaValidator = new AjvJsonSchemaValidator();
  /** Sessions being ended (at most a second each), awaited by close. */
  const endings = new Set<Promise<unknown>>();

  async function fetchServerCard(http: ScanHttp, endpoint: URL, signal: AbortSignal): Promise<{ document: unknown; raw: string } | null> {
    const cardSignal = AbortSignal.any([signal, AbortSignal.timeout(limits.serverCardTimeoutMs)]);
    for (const url of serverCardUrls(endpoint)) {
      const raw = await http.getDocument(url, `${SERVER_CARD_MEDIA_TYPE}, application/json`, limits.maxServerCardBytes, cardSignal);
      if (raw === null) continue;
      try {
        return { document: JSON.parse(raw) as unknown, raw };
      } catch {
        return { document: null, raw };
      }
    }
    return null;
  }

  async function scan(endpointUrl: string): Promise<ScanOutcome> {
    const startedAt = new Date();
    const controller = new AbortController();
    const fail = (failure: ScanFailure) => {
      if (!controller.signal.aborted) controller.abort(failure);
    };
    let phase: ScanPhase = 'connect';
    const deadline = setTimeout(() => fail(timeoutFailure(phase, limits.deadlineMs)), limits.deadlineMs);
    const remaining = () => Math.max(1, startedAt.getTime() + limits.deadlineMs - Date.now());
    const http = createScanHttp({ guard: options.guard, pool, signal: controller.signal, fail, maxResponseBytes: limits.maxResponseBytes, maxScanBytes: limits.maxScanBytes });
    const outcome: ScanOutcome = { startedAt, finishedAt: startedAt, failure: null, tools: [], resources: [], prompts: [], serverCard: null };
    let client: Client | undefined;
    let transport: StreamableHTTPClientTransport | undefined;
    let card: Promise<{ document: unknown; raw: string } | null> = Promise.resolve(null);
    try {
      const endpoint = options.guard.check(endpointUrl);
      card = fetchServerCard(http, endpoint, controller.signal);
      transport = new StreamableHTTPClientTransport(endpoint, { fetch: http.fetch, reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 } });
      client = new Client(clientInfo, { capabilities: {}, jsonSchemaValidator });
      phase = 'initialize';
      await client.connect(transport, { signal: controller.signal, timeout: Math.min(limits.initializeTimeoutMs, remaining()) });
      outcome.protocolVersion = transport.protocolVersion ?? null;
      const info = client.getServerVersion();
      outcome.serverInfo = info ? { name: info.name, version: info.version, ...(info.title ? { title: info.title } : {}) } : null;
      const capabilities = client.getServerCapabilities() ?? {};
      outcome.capabilities = capabilities as Record<string, unknown>;
      const declared = Buffer.byteLength(JSON.stringify({ info, capabilities }));
      if (declared > limits.maxServerCardBytes) {
        throw new ScanFailure('too_large', `The server info and capabilities of initialize take ${declared} bytes, more than the ${limits.maxServerCardBytes} AIM accepts.`);
      }
      const instructions = client.getInstructions() ?? null;
      if (instructions !== null && instructions.length > limits.maxInstructionsChars) {
        throw new ScanFailure('too_large', `The instructions of initialize are ${instructions.length} characters, more than the ${limits.maxInstructionsChars} AIM accepts.`);
      }
      outcome.instructions = instructions;

      const listAll = async (method: 'tools/list' | 'resources/list' | 'prompts/list', key: 'tools' | 'resources' | 'prompts') => {
        phase = method;
        const items: unknown[] = [];
        const cursors = new Set<string>();
        let cursor: string | undefined;
        for (let page = 1; ; page++) {
          if (page > limits.maxPages) throw new ScanFailure('too_many_items', `${method} went on for more than ${limits.maxPages} pages, the most AIM reads.`);
          const result = await client!.request({ method, params: cursor ? { cursor } : {} }, pageSchema(key), { signal: controller.signal, timeout: remaining() });
          items.push(...(result[key] as unknown[]));
          if (items.length > limits.maxItems) throw new ScanFailure('too_many_items', `${method} lists more than ${limits.maxItems} ${key}, the most AIM accepts from one server.`);
          cursor = result.nextCursor;
          if (cursor === undefined) return items;
          if (cursors.has(cursor)) throw new ScanFailure('protocol_error', `${method} answered a cursor it had answered before; the listing would never end.`);
          cursors.add(cursor);
        }
      };
      if (capabilities.tools) outcome.tools = reduceTools(await listAll('tools/list', 'tools'), limits);
      if (capabilities.resources) outcome.resources = reduceResources(await listAll('resources/list', 'resources'));
      if (capabilities.prompts) outcome.prompts = reducePrompts(await listAll('prompts/list', 'prompts'));
      outcome.serverCard = await card;
    } catch (error) {
      const reason = controller.signal.aborted && controller.signal.reason instanceof ScanFailure ? controller.signal.reason : classifyScanError(error, phase, limits.deadlineMs);
      outcome.failure = { reason: reason.reason, message: reason.message };
      outcome.tools = [];
      outcome.resources = [];
      outcome.prompts = [];
      fail(reason);
      outcome.serverCard = await card.catch(() => null);
    } finally {
      clearTimeout(deadline);
      // The session ends beside what follows the scan (storing it, judging it): nothing it answers changes the outcome.
      const ending = endSession(transport, outcome.failure === null).then(() => client?.close().catch(() => undefined));
      ending.finally(() => endings.delete(ending)).catch(() => undefined);
      endings.add(ending);
    }
    outcome.tlsCertificateSha256 = endpointUrl.startsWith('https:') ? pool.certificateSha256(new URL(endpointUrl).hostname.replace(/^\[|\]$/g, '')) : null;
    outcome.finishedAt = new Date();
    return outcome;
  }

  /** Ask the server to forget the session (if it made one), briefly; a scan that failed just drops the connection. */
  async function endSession(transport: StreamableHTTPClientTransport | undefined, politely: boolean): Promise<void> {
    if (!transport?.sessionId || !politely) return;
    await Promise.race([transport.terminateSession().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  }

  /** Close the pool's connections (the app's shutdown), once the sessions being ended are. */
  const close = async () => {
    await Promise.allSettled([...endings]);
    await pool.close();
  };

  return { scan, limits, close };
}

export type McpScanner = ReturnType<typeof createMcpScanner>;
