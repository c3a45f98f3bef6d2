CREATE TABLE `credit_blocks` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`category` text NOT NULL,
	`source` text NOT NULL,
	`transaction_id` text NOT NULL,
	`amount_micros` integer NOT NULL,
	`remaining_micros` integer NOT NULL,
	`priority` integer NOT NULL,
	`expires_at_ms` integer,
	`created_at_ms` integer NOT NULL,
	`grant_id` text,
	CONSTRAINT "credit_blocks_category_valid" CHECK("credit_blocks"."category" IN ('paid', 'promotional')),
	CONSTRAINT "credit_blocks_source_valid" CHECK("credit_blocks"."source" IN ('deposit', 'auto_recharge', 'grant', 'adjustment')),
	CONSTRAINT "credit_blocks_amount_positive" CHECK("credit_blocks"."amount_micros" > 0),
	CONSTRAINT "credit_blocks_remaining_within" CHECK("credit_blocks"."remaining_micros" >= 0 AND "credit_blocks"."remaining_micros" <= "credit_blocks"."amount_micros"),
	CONSTRAINT "credit_blocks_priority_valid" CHECK("credit_blocks"."priority" BETWEEN 0 AND 100)
);
--> statement-breakpoint
CREATE INDEX `credit_blocks_open` ON `credit_blocks` (`workspace_id`) WHERE "credit_blocks"."remaining_micros" > 0;--> statement-breakpoint
CREATE UNIQUE INDEX `credit_blocks_grant` ON `credit_blocks` (`workspace_id`,`grant_id`);--> statement-breakpoint
CREATE TABLE `credit_funding` (
	`transaction_id` text NOT NULL,
	`block_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`amount_micros` integer NOT NULL,
	`position` integer NOT NULL,
	PRIMARY KEY(`transaction_id`, `block_id`),
	CONSTRAINT "credit_funding_amount_positive" CHECK("credit_funding"."amount_micros" > 0)
);
--> statement-breakpoint
CREATE INDEX `credit_funding_block` ON `credit_funding` (`block_id`);--> statement-breakpoint
-- The transactions table is rebuilt (SQLite cannot change a CHECK in place) so that its type check
-- admits `grant` and `expiration`. Rows keep their seq; the triggers on the old table went with it and
-- are made again below, after the copy (the copy must not count into ledger_sum_micros twice).
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
	CONSTRAINT "transactions_type_valid" CHECK("__new_transactions"."type" IN ('deposit', 'usage', 'auto_recharge', 'refund', 'dispute', 'adjustment', 'grant', 'expiration')),
	CONSTRAINT "transactions_status_valid" CHECK("__new_transactions"."status" IN ('completed', 'pending', 'failed', 'accumulating')),
	CONSTRAINT "transactions_forgiven_non_negative" CHECK("__new_transactions"."forgiven_micros" >= 0),
	CONSTRAINT "transactions_completed_has_balance_after" CHECK("__new_transactions"."status" <> 'completed' OR "__new_transactions"."balance_after_micros" IS NOT NULL)
);
--> statement-breakpoint
INSERT INTO `__new_transactions`("seq", "id", "workspace_id", "idempotency_key", "request_hash", "type", "status", "description", "amount_micros", "forgiven_micros", "balance_after_micros", "invoice_url", "member_id", "created_at_ms", "settled_at_ms") SELECT "seq", "id", "workspace_id", "idempotency_key", "request_hash", "type", "status", "description", "amount_micros", "forgiven_micros", "balance_after_micros", "invoice_url", "member_id", "created_at_ms", "settled_at_ms" FROM `transactions`;--> statement-breakpoint
DROP TABLE `transactions`;--> statement-breakpoint
ALTER TABLE `__new_transactions` RENAME TO `transactions`;--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_id` ON `transactions` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_workspace_idempotency` ON `transactions` (`workspace_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_seq` ON `transactions` (`workspace_id`,`seq`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_type_seq` ON `transactions` (`workspace_id`,`type`,`seq`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_status_seq` ON `transactions` (`workspace_id`,`status`,`seq`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_type_status_seq` ON `transactions` (`workspace_id`,`type`,`status`,`seq`);--> statement-breakpoint
ALTER TABLE `balances` ADD `blocks_sum_micros` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `balances` ADD `blocks_ready` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
-- Hand-written (drizzle has no trigger DSL) --------------------------------------------------------
-- Every workspace that exists now gets its blocks from its ledger object on its next load
-- (workers/ledger/blocks/backfill_blocks.ts), which sets blocks_ready in the same batch: after any
-- entries its journal still holds from before this release have reached D1 (an empty balance now
-- may not be empty then). New workspaces start ready (the column's default).
UPDATE `balances` SET `blocks_ready` = 0;
--> statement-breakpoint
-- The ledger's triggers of migrations 0000 and 0002, on the rebuilt table, unchanged.
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
CREATE TRIGGER `transactions_sum_completed_insert` AFTER INSERT ON `transactions`
WHEN NEW.`status` = 'completed'
BEGIN
  UPDATE `balances` SET `ledger_sum_micros` = `ledger_sum_micros` + NEW.`amount_micros` WHERE `workspace_id` = NEW.`workspace_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `transactions_sum_completed_update` AFTER UPDATE OF `status` ON `transactions`
WHEN NEW.`status` = 'completed' AND OLD.`status` <> 'completed'
BEGIN
  UPDATE `balances` SET `ledger_sum_micros` = `ledger_sum_micros` + NEW.`amount_micros` WHERE `workspace_id` = NEW.`workspace_id`;
END;
--> statement-breakpoint
-- Credit blocks: a block starts whole; afterwards only funding rows move its remainder (below), and
-- nothing else of it ever changes. Blocks and funding rows are never deleted.
CREATE TRIGGER `credit_blocks_start_whole` BEFORE INSERT ON `credit_blocks`
WHEN NEW.`remaining_micros` IS NOT NEW.`amount_micros`
BEGIN
  SELECT RAISE(ABORT, 'a credit block starts with its whole amount');
END;
--> statement-breakpoint
CREATE TRIGGER `credit_blocks_immutable` BEFORE UPDATE ON `credit_blocks`
WHEN NEW.`id` IS NOT OLD.`id`
  OR NEW.`workspace_id` IS NOT OLD.`workspace_id`
  OR NEW.`category` IS NOT OLD.`category`
  OR NEW.`source` IS NOT OLD.`source`
  OR NEW.`transaction_id` IS NOT OLD.`transaction_id`
  OR NEW.`amount_micros` IS NOT OLD.`amount_micros`
  OR NEW.`priority` IS NOT OLD.`priority`
  OR NEW.`expires_at_ms` IS NOT OLD.`expires_at_ms`
  OR NEW.`created_at_ms` IS NOT OLD.`created_at_ms`
  OR NEW.`grant_id` IS NOT OLD.`grant_id`
BEGIN
  SELECT RAISE(ABORT, 'a credit block never changes but for its remainder');
END;
--> statement-breakpoint
CREATE TRIGGER `credit_blocks_no_delete` BEFORE DELETE ON `credit_blocks`
BEGIN
  SELECT RAISE(ABORT, 'credit blocks are never deleted');
END;
--> statement-breakpoint
CREATE TRIGGER `credit_blocks_sum_insert` AFTER INSERT ON `credit_blocks`
BEGIN
  UPDATE `balances` SET `blocks_sum_micros` = `blocks_sum_micros` + NEW.`amount_micros` WHERE `workspace_id` = NEW.`workspace_id`;
END;
--> statement-breakpoint
-- Funding names a block of its own workspace, or the batch aborts.
CREATE TRIGGER `credit_funding_block_exists` BEFORE INSERT ON `credit_funding`
WHEN NOT EXISTS (SELECT 1 FROM `credit_blocks` WHERE `id` = NEW.`block_id` AND `workspace_id` = NEW.`workspace_id`)
BEGIN
  SELECT RAISE(ABORT, 'funding from an unknown credit block');
END;
--> statement-breakpoint
-- The remainder follows the funding (the CHECK on credit_blocks refuses a remainder below zero).
CREATE TRIGGER `credit_funding_draw` AFTER INSERT ON `credit_funding`
BEGIN
  UPDATE `credit_blocks` SET `remaining_micros` = `remaining_micros` - NEW.`amount_micros` WHERE `id` = NEW.`block_id`;
  UPDATE `balances` SET `blocks_sum_micros` = `blocks_sum_micros` - NEW.`amount_micros` WHERE `workspace_id` = NEW.`workspace_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `credit_funding_immutable` BEFORE UPDATE ON `credit_funding`
BEGIN
  SELECT RAISE(ABORT, 'funding rows are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `credit_funding_no_delete` BEFORE DELETE ON `credit_funding`
BEGIN
  SELECT RAISE(ABORT, 'funding rows are append-only');
END;
