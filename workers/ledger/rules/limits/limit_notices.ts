// `spend_limit.reached` goes out once per member per period: the object remembers, in its own
// SQLite storage, which (member, period) it has sent, so that neither a second refusal nor an
// eviction sends it again.
import { ensureLayout } from '../../state/object_layout';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS limit_notices (
     member_id TEXT NOT NULL,
     period_start_ms INTEGER NOT NULL,
     sent_at_ms INTEGER NOT NULL,
     PRIMARY KEY (member_id, period_start_ms)
   ) WITHOUT ROWID`,
];
const NOTICES_LAYOUT = 'limit_notices_layout_1';

export class LimitNotices {
  constructor(private readonly sql: SqlStorage) {
    ensureLayout(sql, NOTICES_LAYOUT, SCHEMA);
  }

  /** True the first time it is asked for this member and period (it is then taken as sent). */
  claim(memberId: string, periodStartMs: number, nowMs: number): boolean {
    return this.sql.exec('INSERT INTO limit_notices (member_id, period_start_ms, sent_at_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', memberId, periodStartMs, nowMs).rowsWritten > 0;
  }

  /** The notice could not be put in the outbox: the next occasion sends it. */
  unclaim(memberId: string, periodStartMs: number): void {
    this.sql.exec('DELETE FROM limit_notices WHERE member_id = ? AND period_start_ms = ?', memberId, periodStartMs);
  }
}
