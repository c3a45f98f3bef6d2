// Free TCP ports on 127.0.0.1, found by letting the kernel pick them, so that an e2e server never
// collides with a developer's `npm start` (8787, 12111) or with another test's server.
import { createServer } from 'node:net';

function listenOnAnyPort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// All listeners are held open together, so that the ports returned are distinct.
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnAnyPort());
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
