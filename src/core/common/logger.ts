export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Raw output of a tool (stderr of pg_dump and friends). */
  tool(name: string, output: string): void;
}

export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  tool() {},
};
