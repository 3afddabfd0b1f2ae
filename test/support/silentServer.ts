import { Server, Socket, createServer } from 'node:net';

/** A TCP server on 127.0.0.1 that accepts every connection and never sends a byte: a host that hangs. */
export interface SilentServer {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Connections still open: the client has not given up on them. */
  open(): number;
  /** Drops every connection and stops listening, as a server that goes away does. */
  stop(): Promise<void>;
}

export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // Reads what the client sends, so its writes never stall on a full buffer; answers nothing.
    socket.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    port,
    get accepted() {
      return accepted;
    },
    open: () => [...sockets].filter((s) => !s.destroyed).length,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
