import { parentPort, workerData } from 'node:worker_threads';
import { walkSpan, type Span } from './chain-walk.js';

/** A worker thread of the chain walk (chain-walk.ts): walks one span and posts its result. */
const { connectionString, span } = workerData as { connectionString: string; span: Span };
try {
  parentPort!.postMessage({ result: await walkSpan(connectionString, span) });
} catch (error) {
  parentPort!.postMessage({ error: (error as Error).message });
}
