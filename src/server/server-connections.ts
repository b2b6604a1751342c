/**
 * The HTTP server's connections, so that closing the server does not wait on a socket nobody
 * uses. Node 20's `server.close()` closes idle keep-alive connections, but not one accepted that
 * has not sent a request yet (nodejs/node#63452, fixed in later Node lines): HTTP clients open
 * such sockets ahead of need (undici's pool, browsers' speculative connections), and `close()`
 * then waited until Node's own timeouts dropped it, about a minute (`runtrail serve` after
 * SIGTERM, seen in test/cli/serve-tail.test.ts). Closing here ends every socket with no request
 * in flight at once, and each other one as soon as its response has gone.
 */
import type { Server, IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** What {@link trackConnections} returns. */
export interface ConnectionTracker {
  /** From now on, a socket without a request in flight is closed (now, or when its response ends). */
  closeIdle(): void;
}

/**
 * Counts the requests in flight per socket of `server`.
 *
 * @example
 * const connections = trackConnections(app.server);
 * const closed = app.close();
 * connections.closeIdle();
 * await closed;
 */
export function trackConnections(server: Server): ConnectionTracker {
  const inFlight = new Map<Socket, number>();
  let closing = false;
  server.on("connection", (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once("close", () => inFlight.delete(socket));
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const { socket } = request;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once("close", () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      if (closing && left === 0) socket.destroySoon();
    });
  });
  return {
    closeIdle() {
      closing = true;
      for (const [socket, count] of inFlight) if (count === 0) socket.destroy();
    },
  };
}
