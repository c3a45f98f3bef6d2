// The least that settling one workspace in its own Durable Object can cost on this server: a Queue
// message, the object woken cold by RPC, one read of its own storage, one D1 batch, one alarm set.
// burnrate's settlement does this and its real work (the ledger's load, pricing, the hour's batch).
import { DurableObject } from 'cloudflare:workers';

const HOUR_MS = 3_600_000;

export class FloorObject extends DurableObject {
  /** Gives the object its storage (as a workspace's first call does), so that waking it later opens an existing file. */
  async create(name) {
    await this.ctx.storage.put('name', name);
  }

  async settle(hourMs) {
    const name = await this.ctx.storage.get('name');
    await this.env.DB.batch([this.env.DB.prepare('INSERT OR IGNORE INTO settled (name, hour_ms) VALUES (?1, ?2)').bind(name, hourMs)]);
    await this.ctx.storage.setAlarm(hourMs + 2 * HOUR_MS);
  }

  async alarm() {}
}

const object = (env, name) => env.FLOOR_OBJECT.get(env.FLOOR_OBJECT.idFromName(name));
const nameOf = (i) => `w${i}`;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const number = (name) => Number(url.searchParams.get(name));
    switch (url.pathname) {
      case '/healthz':
        return new Response('ok');
      case '/setup':
        await env.DB.exec('CREATE TABLE IF NOT EXISTS settled (name TEXT NOT NULL, hour_ms INTEGER NOT NULL, PRIMARY KEY (name, hour_ms))');
        return new Response('ok');
      case '/create': {
        const from = number('from');
        await Promise.all(Array.from({ length: number('count') }, (_, i) => object(env, nameOf(from + i)).create(nameOf(from + i))));
        return new Response('ok');
      }
      case '/settle-all': {
        const count = number('count');
        for (let i = 0; i < count; i += 100) {
          await env.QUEUE.sendBatch(Array.from({ length: Math.min(100, count - i) }, (_, j) => ({ body: { name: nameOf(i + j), hourMs: number('hour') } })));
        }
        return new Response('ok');
      }
      case '/settled': {
        const row = await env.DB.prepare('SELECT count(*) AS n FROM settled WHERE hour_ms = ?1').bind(number('hour')).first();
        return Response.json({ settled: row.n });
      }
      default:
        return new Response('not found', { status: 404 });
    }
  },

  async queue(batch, env) {
    await Promise.all(
      batch.messages.map(async (message) => {
        await object(env, message.body.name).settle(message.body.hourMs);
        message.ack();
      }),
    );
  },
};
