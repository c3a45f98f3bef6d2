// D1 read replication (the Sessions API): the one place where a read of a ledger shard is opened
// as a session. A session started from a bookmark reads from a replica at least as fresh as that
// bookmark (or from the primary); started 'first-primary' its first query goes to the primary, so
// the bookmark after it covers every commit before it. Locally D1 has no replicas: sessions still
// work and still hand out bookmarks, so the plumbing below is exercised by the tests as deployed.
import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';

export type SessionStart = D1SessionBookmark | D1SessionConstraint;

/** A drizzle handle on one D1 session, and the bookmark the session has reached so far. */
export interface ReadSession {
  db: DrizzleD1Database;
  /** After the session's queries: the bookmark a later read must start from to see no less. */
  bookmark: () => string | null;
}

/** One opened session, as a test's recorder sees it (see recordReadSessions). */
export interface SessionRecord {
  start: SessionStart;
  session: D1DatabaseSession;
}

let recorder: SessionRecord[] | null = null;

/** Tests only: every session opened from now on is appended to `log` (null stops recording). */
export function recordReadSessions(log: SessionRecord[] | null): void {
  recorder = log;
}

/** A session on `d1` starting from `start` (a bookmark or a constraint). */
export function openSession(d1: D1Database, start: SessionStart): D1DatabaseSession {
  const session = d1.withSession(start);
  recorder?.push({ start, session });
  return session;
}

/** The session through drizzle: drizzle needs only prepare() and batch(), which a session has. */
export function readSession(d1: D1Database, start: SessionStart): ReadSession {
  const session = openSession(d1, start);
  return { db: drizzle(session as unknown as D1Database), bookmark: () => session.getBookmark() };
}

/**
 * A bookmark that covers every commit the primary has made so far: one query on the primary.
 * `query` is any cheap read of the database (its result is not used).
 */
export async function primaryBookmark(d1: D1Database, query: string, ...params: unknown[]): Promise<string | null> {
  const session = openSession(d1, 'first-primary');
  await session.prepare(query).bind(...params).first();
  return session.getBookmark();
}
