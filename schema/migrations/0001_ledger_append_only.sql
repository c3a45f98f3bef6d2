-- The ledger is append-only, enforced by the database itself so that no code path can rewrite history.
-- A settled entry (completed or failed) never changes; a pending entry may only move to completed or
-- failed, filling in its settlement fields; no entry is ever deleted; balances rows are never deleted.
CREATE TRIGGER `transactions_no_delete` BEFORE DELETE ON `transactions`
BEGIN
  SELECT RAISE(ABORT, 'ledger entries are append-only: delete refused');
END;
--> statement-breakpoint
CREATE TRIGGER `transactions_settled_immutable` BEFORE UPDATE ON `transactions`
WHEN OLD.`status` IN ('completed', 'failed')
BEGIN
  SELECT RAISE(ABORT, 'ledger entries are append-only: settled entry is immutable');
END;
--> statement-breakpoint
CREATE TRIGGER `transactions_pending_transition` BEFORE UPDATE ON `transactions`
WHEN NEW.`status` NOT IN ('completed', 'failed')
  OR NEW.`id` IS NOT OLD.`id`
  OR NEW.`seq` IS NOT OLD.`seq`
  OR NEW.`workspace_id` IS NOT OLD.`workspace_id`
  OR NEW.`idempotency_key` IS NOT OLD.`idempotency_key`
  OR NEW.`request_hash` IS NOT OLD.`request_hash`
  OR NEW.`type` IS NOT OLD.`type`
  OR NEW.`amount_micros` IS NOT OLD.`amount_micros`
  OR NEW.`created_at_ms` IS NOT OLD.`created_at_ms`
BEGIN
  SELECT RAISE(ABORT, 'ledger entries are append-only: a pending entry may only settle');
END;
--> statement-breakpoint
CREATE TRIGGER `balances_no_delete` BEFORE DELETE ON `balances`
BEGIN
  SELECT RAISE(ABORT, 'balances are never deleted');
END;
