import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

/**
 * Fastify gives every request its own child logger (`request.log`), bound to the request id.
 * Building a pino child costs about a microsecond, and most requests never log anything through
 * it. This stands in for the child and builds the real one on first use.
 */
export class LazyChildLogger {
  private real: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions | undefined,
  ) {}

  private resolve(): Logger {
    this.real ??= this.parent.child(this.bindings, this.options);
    return this.real;
  }

  get level(): string {
    return this.real?.level ?? this.parent.level;
  }
  set level(value: string) {
    this.resolve().level = value;
  }
  isLevelEnabled(level: string): boolean {
    return (this.real ?? this.parent).isLevelEnabled(level);
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.resolve().child(bindings, options);
  }
  fatal(...args: unknown[]): void {
    if (this.isLevelEnabled('fatal')) (this.resolve().fatal as (...a: unknown[]) => void)(...args);
  }
  error(...args: unknown[]): void {
    if (this.isLevelEnabled('error')) (this.resolve().error as (...a: unknown[]) => void)(...args);
  }
  warn(...args: unknown[]): void {
    if (this.isLevelEnabled('warn')) (this.resolve().warn as (...a: unknown[]) => void)(...args);
  }
  info(...args: unknown[]): void {
    if (this.isLevelEnabled('info')) (this.resolve().info as (...a: unknown[]) => void)(...args);
  }
  debug(...args: unknown[]): void {
    if (this.isLevelEnabled('debug')) (this.resolve().debug as (...a: unknown[]) => void)(...args);
  }
  trace(...args: unknown[]): void {
    if (this.isLevelEnabled('trace')) (this.resolve().trace as (...a: unknown[]) => void)(...args);
  }
  silent(): void {}
}
