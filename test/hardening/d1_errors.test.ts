// The D1 error classifiers read the messages D1 really produces: each is tried on a real constraint
// failure of its own kind and on the others', so a change in D1's wording fails here, not in a race.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { isDuplicateMemberEmail, isDuplicateResourceId, isNegativeBalance, isUniqueViolation } from '../../workers/lib/d1_errors';
import { addMember, createWorkspace } from '../helpers/fixtures';
import { shardD1Of } from '../helpers/ledger_checks';

async function failureOf(db: D1Database, sql: string, ...params: unknown[]): Promise<unknown> {
  try {
    await db.prepare(sql).bind(...params).run();
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe('d1_errors', () => {
  it('tells a duplicate member email, a duplicate resource id and a negative balance apart', async () => {
    const ws = await createWorkspace();
    const member = await addMember(ws.workspaceId, 'member');
    const row = await env.DB.prepare('SELECT email FROM members WHERE id = ?').bind(member.memberId).first<{ email: string }>();
    const emailTaken = await failureOf(
      env.DB,
      "INSERT INTO members (id, workspace_id, name, email, role, created_at_ms) VALUES ('mem_dup_test', ?, 'Dup', ?, 'member', 0)",
      ws.workspaceId,
      row!.email,
    );
    const insertResource = "INSERT INTO resources (id, workspace_id, kind, request_hash, started_at_ms, created_at_ms) VALUES ('res_dup_test', ?, 'volume', 'h', 0, 0)";
    const ledger = shardD1Of(ws.workspaceId);
    await ledger.prepare(insertResource).bind(ws.workspaceId).run();
    const resourceTaken = await failureOf(ledger, insertResource, ws.workspaceId);
    const negative = await failureOf(ledger, 'UPDATE balances SET balance_micros = -1 WHERE workspace_id = ?', ws.workspaceId);
    await ledger.prepare("DELETE FROM resources WHERE id = 'res_dup_test'").run();

    expect([isDuplicateMemberEmail(emailTaken), isDuplicateResourceId(emailTaken), isNegativeBalance(emailTaken), isUniqueViolation(emailTaken)]).toEqual([true, false, false, true]);
    expect([isDuplicateMemberEmail(resourceTaken), isDuplicateResourceId(resourceTaken), isNegativeBalance(resourceTaken), isUniqueViolation(resourceTaken)]).toEqual([false, true, false, true]);
    expect([isDuplicateMemberEmail(negative), isDuplicateResourceId(negative), isNegativeBalance(negative), isUniqueViolation(negative)]).toEqual([false, false, true, false]);
    // Not a D1 error at all: none of them.
    const other = new Error('network down');
    expect([isDuplicateMemberEmail(other), isDuplicateResourceId(other), isNegativeBalance(other), isUniqueViolation(other)]).toEqual([false, false, false, false]);
  });

  it('does not mistake a longer column list that starts the same for the one it names', () => {
    expect(isDuplicateResourceId(new Error('D1_ERROR: UNIQUE constraint failed: resources.id, resources.other: SQLITE_CONSTRAINT'))).toBe(false);
    expect(isDuplicateResourceId(new Error('D1_ERROR: UNIQUE constraint failed: resources.id: SQLITE_CONSTRAINT'))).toBe(true);
  });
});
