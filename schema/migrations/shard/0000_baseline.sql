CREATE TABLE `balances` (
	`workspace_id` text PRIMARY KEY NOT NULL,
	`balance_micros` integer DEFAULT 0 NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`settled_through_ms` integer DEFAULT 0 NOT NULL,
	`oldest_open_event_hour_ms` integer,
	CONSTRAINT "balances_non_negative" CHECK("balances"."balance_micros" >= 0)
);
--> statement-breakpoint
CREATE TABLE `ledger_workspaces` (
	`workspace_id` text PRIMARY KEY NOT NULL,
	`created_at_ms` integer NOT NULL,
	`auto_topup_enabled` integer DEFAULT false NOT NULL,
	`auto_topup_threshold_cents` integer DEFAULT 1000 NOT NULL,
	`auto_topup_amount_cents` integer DEFAULT 2500 NOT NULL,
	`storage_suspended_at_ms` integer,
	`terminated_at_ms` integer,
	`low_balance_since_ms` integer,
	`auto_recharge_crossing_at_ms` integer,
	`auto_topup_failures` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `platform_events` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`type` text NOT NULL,
	`data_json` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`delivery_state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_attempt_at_ms` integer,
	`last_error` text,
	`delivered_at_ms` integer
);
--> statement-breakpoint
CREATE INDEX `platform_events_workspace` ON `platform_events` (`workspace_id`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `platform_events_pending` ON `platform_events` (`delivery_state`,`created_at_ms`);--> statement-breakpoint
CREATE TABLE `resource_intervals` (
	`resource_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`started_at_ms` integer NOT NULL,
	`stopped_at_ms` integer,
	`instance_type` text,
	`size_bytes` integer,
	PRIMARY KEY(`resource_id`, `started_at_ms`)
);
--> statement-breakpoint
CREATE INDEX `resource_intervals_workspace` ON `resource_intervals` (`workspace_id`,`stopped_at_ms`);--> statement-breakpoint
CREATE TABLE `resources` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`member_id` text DEFAULT '' NOT NULL,
	`kind` text NOT NULL,
	`instance_type` text,
	`size_bytes` integer,
	`request_hash` text NOT NULL,
	`started_at_ms` integer NOT NULL,
	`stopped_at_ms` integer,
	`stop_reason` text,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `resources_workspace_running` ON `resources` (`workspace_id`,`stopped_at_ms`);--> statement-breakpoint
CREATE TABLE `settlement_lines` (
	`workspace_id` text NOT NULL,
	`hour_ms` integer NOT NULL,
	`member_id` text DEFAULT '' NOT NULL,
	`kind` text NOT NULL,
	`line_key` text NOT NULL,
	`transaction_id` text NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`runtime_ms` integer DEFAULT 0 NOT NULL,
	`byte_seconds` integer DEFAULT 0 NOT NULL,
	`cost_micros` integer NOT NULL,
	`forgiven_micros` integer DEFAULT 0 NOT NULL,
	`description` text,
	PRIMARY KEY(`workspace_id`, `hour_ms`, `member_id`, `kind`, `line_key`)
);
--> statement-breakpoint
CREATE INDEX `settlement_lines_transaction` ON `settlement_lines` (`transaction_id`);--> statement-breakpoint
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
CREATE TABLE `transactions` (
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
	CONSTRAINT "transactions_type_valid" CHECK("transactions"."type" IN ('deposit', 'usage', 'auto_recharge', 'refund', 'dispute', 'adjustment')),
	CONSTRAINT "transactions_status_valid" CHECK("transactions"."status" IN ('completed', 'pending', 'failed', 'accumulating')),
	CONSTRAINT "transactions_forgiven_non_negative" CHECK("transactions"."forgiven_micros" >= 0),
	CONSTRAINT "transactions_completed_has_balance_after" CHECK("transactions"."status" <> 'completed' OR "transactions"."balance_after_micros" IS NOT NULL)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_id` ON `transactions` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_workspace_idempotency` ON `transactions` (`workspace_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_seq` ON `transactions` (`workspace_id`,`seq`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_type_seq` ON `transactions` (`workspace_id`,`type`,`seq`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_status_seq` ON `transactions` (`workspace_id`,`status`,`seq`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_type_status_seq` ON `transactions` (`workspace_id`,`type`,`status`,`seq`);--> statement-breakpoint
CREATE TABLE `usage_rollups` (
	`workspace_id` text NOT NULL,
	`hour_ms` integer NOT NULL,
	`member_id` text DEFAULT '' NOT NULL,
	`kind` text NOT NULL,
	`line_key` text NOT NULL,
	`price_version` integer NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`amount_micros` integer DEFAULT 0 NOT NULL,
	`description` text,
	`occurred_at_ms` integer,
	PRIMARY KEY(`workspace_id`, `hour_ms`, `member_id`, `kind`, `line_key`, `price_version`)
);
--> statement-breakpoint
-- Hand-written (drizzle has no trigger DSL):
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
