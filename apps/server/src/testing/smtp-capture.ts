import { createServer, type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

/**
 * A real SMTP server on loopback for tests (the `smtp-server` package): every message it accepts is
 * parsed with `mailparser` and kept. `stop()` and `start()` take it down and bring it back on the
 * same port, for tests of a mail server that is away.
 */
export interface CapturedMail {
  envelopeTo: string[];
  parsed: ParsedMail;
  raw: string;
}

/** A captured mail's HTML part, or '' when it has none. */
export const mailHtml = (m: CapturedMail): string => (typeof m.parsed.html === 'string' ? m.parsed.html : '');

export interface SmtpCapture {
  port: number;
  url: string;
  messages: CapturedMail[];
  /** Messages to `to`, optionally only those whose subject matches. */
  to(address: string, subject?: RegExp): CapturedMail[];
  /** Resolves once `predicate` holds for the messages (polls; fails after `timeoutMs`). */
  waitFor(what: string, predicate: (messages: CapturedMail[]) => boolean, timeoutMs?: number): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A free loopback port (taken, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startSmtpCapture(options: { port?: number; listening?: boolean } = {}): Promise<SmtpCapture> {
  const port = options.port ?? (await freePort());
  const messages: CapturedMail[] = [];
  let server: SMTPServer | null = null;

  const make = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw)
            .then((parsed) => {
              messages.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), parsed, raw });
              callback();
            })
            .catch((error: Error) => callback(error));
        });
      },
    });

  const capture: SmtpCapture = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    to: (address, subject) => messages.filter((m) => m.envelopeTo.includes(address) && (!subject || subject.test(m.parsed.subject ?? ''))),
    async waitFor(what, predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s (received: ${messages.map((m) => `${m.envelopeTo.join(',')} "${m.parsed.subject}"`).join('; ') || 'nothing'})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async start() {
      if (server) return;
      const s = make();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      server = s;
    },
    async stop() {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  if (options.listening !== false) await capture.start();
  return capture;
}
