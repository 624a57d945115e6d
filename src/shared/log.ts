/** What every part logs through. VS Code's `LogOutputChannel` fits it; tests pass their own. */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

/** Prefixes every line with a component name: `[host] ...`. */
export function scoped(log: Logger, component: string): Logger {
  const p = `[${component}] `;
  return {
    trace: (m) => log.trace(p + m),
    debug: (m) => log.debug(p + m),
    info: (m) => log.info(p + m),
    warn: (m) => log.warn(p + m),
    error: (m) => log.error(p + (m instanceof Error ? (m.stack ?? m.message) : m)),
  };
}

export const silentLogger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
