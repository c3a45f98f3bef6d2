-- Disputes (issue 13): `dispute` joins the transaction types, and Stripe disputes and reconciliation
-- runs get tables of their own.
--
-- SQLite cannot alter a CHECK constraint, so `transactions` is rebuilt: new table, copy, drop,
-- rename, then its indexes and the append-only triggers of 0001 (dropped with the old table) are
-- created again. D1 runs a migration in one transaction and does not allow PRAGMA foreign_keys;
-- `PRAGMA defer_foreign_keys = true` is its way to let the table go for the length of the
-- transaction (nothing references `transactions`, but its own foreign key to `workspaces` is kept).
-- The CHECKs name bare columns, so that they stay valid through the rename.
CREATE TABLE `reconciliation_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`started_at_ms` integer NOT NULL,
	`finished_at_ms` integer NOT NULL,
	`event_cursor_seconds` integer NOT NULL,
	`report_json` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `stripe_disputes` (
	`dispute_id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`charge_id` text NOT NULL,
	`amount_cents` integer NOT NULL,
	`status` text NOT NULL,
	`updated_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stripe_disputes_workspace_status` ON `stripe_disputes` (`workspace_id`,`status`);--> statement-breakpoint
PRAGMA defer_foreign_keys = true;--> statement-breakpoint
CREATE TABLE `__new_transactions` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`description` text NOT NULL,
	`amount_micros` integer NOT NULL,
	`forgiven_micros` integer DEFAULT 0 NOT NULL,
	`balance_after_micros` integer,
	`invoice_url` text,
	`member_id` text,
	`created_at_ms` integer NOT NULL,
	`settled_at_ms` integer,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "transactions_type_valid" CHECK("type" IN ('deposit', 'usage', 'auto_recharge', 'refund', 'dispute', 'adjustment')),
	CONSTRAINT "transactions_status_valid" CHECK("status" IN ('completed', 'pending', 'failed', 'accumulating')),
	CONSTRAINT "transactions_forgiven_non_negative" CHECK("forgiven_micros" >= 0),
	CONSTRAINT "transactions_completed_has_balance_after" CHECK("status" <> 'completed' OR "balance_after_micros" IS NOT NULL)
);
--> statement-breakpoint
INSERT INTO `__new_transactions`("seq", "id", "workspace_id", "idempotency_key", "request_hash", "type", "status", "description", "amount_micros", "forgiven_micros", "balance_after_micros", "invoice_url", "member_id", "created_at_ms", "settled_at_ms") SELECT "seq", "id", "workspace_id", "idempotency_key", "request_hash", "type", "status", "description", "amount_micros", "forgiven_micros", "balance_after_micros", "invoice_url", "member_id", "created_at_ms", "settled_at_ms" FROM `transactions`;--> statement-breakpoint
DROP TABLE `transactions`;--> statement-breakpoint
ALTER TABLE `__new_transactions` RENAME TO `transactions`;--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_id` ON `transactions` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_workspace_idempotency` ON `transactions` (`workspace_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_seq` ON `transactions` (`workspace_id`,`seq`);--> statement-breakpoint
-- The append-only triggers of 0001_ledger_append_only.sql, unchanged (DROP TABLE took them).
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
