import { isIP, connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * A connection to the syslog collector: plain TCP (RFC 6587) or TLS (RFC 5425, the certificate
 * checked against the system's authorities or the configured ones, and against the host name).
 * `write` resolves once the bytes are handed to the operating system (the socket's write callback):
 * what syslog over TCP can confirm. The connection is closed for good on the first error or on the
 * collector's end; a new one is made by the caller.
 */
export interface SyslogDestination {
  protocol: 'tcp' | 'tls';
  host: string;
  port: number;
  /** PEM: the authorities a TLS collector's certificate must chain to (default: the system's). */
  ca?: string | undefined;
}

export interface SyslogConnection {
  /** Resolves once the operating system took the bytes; a collector that takes nothing for WRITE_TIMEOUT_MS has the connection cut. */
  write(data: Buffer): Promise<void>;
  readonly open: boolean;
  /** End the connection once what was written is sent. */
  close(): void;
  /** Cut it now. */
  destroy(): void;
}

const CONNECT_TIMEOUT_MS = 10_000;
const WRITE_TIMEOUT_MS = 30_000;

export function connectSyslog(destination: SyslogDestination, onClose: (error: Error | undefined) => void): Promise<SyslogConnection> {
  return new Promise((resolve, reject) => {
    const { host, port } = destination;
    const socket: Socket =
      destination.protocol === 'tls'
        ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...(destination.ca ? { ca: destination.ca } : {}) })
        : tcpConnect({ host, port });
    let connected = false;
    let closed = false;
    let failure: Error | undefined;
    const timer = setTimeout(() => socket.destroy(new Error(`no connection to ${host}:${port} within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
    timer.unref();
    socket.on('error', (error) => {
      failure ??= error;
    });
    // Whatever a collector sends back is not read for meaning; reading it lets its end be seen.
    socket.on('data', () => undefined);
    // The collector closing its side ends the connection: what would be written after is lost.
    socket.on('end', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(timer);
      closed = true;
      if (!connected) reject(failure ?? new Error(`the connection to ${host}:${port} closed`));
      else onClose(failure ?? new Error('the collector closed the connection'));
    });
    socket.once(destination.protocol === 'tls' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      connected = true;
      socket.setKeepAlive(true, 10_000);
      socket.setNoDelay(true);
      resolve({
        get open() {
          return !closed && socket.writable;
        },
        write: (data) =>
          new Promise<void>((done, fail) => {
            if (closed || !socket.writable) return fail(failure ?? new Error('the connection to the collector is closed'));
            const onClosed = () => fail(failure ?? new Error('the connection to the collector closed while writing'));
            socket.once('close', onClosed);
            const stalled = setTimeout(
              () => socket.destroy(new Error(`the collector took nothing for ${WRITE_TIMEOUT_MS / 1000} s`)),
              WRITE_TIMEOUT_MS,
            );
            socket.write(data, (error) => {
              clearTimeout(stalled);
              socket.off('close', onClosed);
              if (error) fail(error);
              else done();
            });
          }),
        close: () => {
          socket.end();
          setTimeout(() => socket.destroy(), 1_000).unref();
        },
        destroy: () => socket.destroy(),
      });
    });
  });
}
