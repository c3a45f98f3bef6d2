// Whether a local port is free, asked before anything starts: with the port taken (a second
// `npm start`, say), wrangler dev would fail to listen while the first server answered our health
// check, and the demo seeding would then talk to the wrong server.
import { createServer } from 'node:net';

/** Resolves true when `host:port` can be listened on, false when it is in use. */
export function portIsFree(host, port) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(false) : reject(error)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
