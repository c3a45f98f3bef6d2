CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`member_id` text NOT NULL,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`revoked_at_ms` integer,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_workspace` ON `api_keys` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `balances` (
	`workspace_id` text PRIMARY KEY NOT NULL,
	`balance_micros` integer DEFAULT 0 NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`settled_through_ms` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "balances_non_negative" CHECK("balances"."balance_micros" >= 0)
);
--> statement-breakpoint
CREATE TABLE `idempotency_records` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`response_status` integer NOT NULL,
	`sealed_response` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE TABLE `members` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`email` text NOT NULL,
	`role` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "members_role_valid" CHECK("members"."role" IN ('admin', 'member'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `members_workspace_email` ON `members` (`workspace_id`,`email`);--> statement-breakpoint
CREATE TABLE `price_lists` (
	`version` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`effective_from_ms` integer NOT NULL,
	`pricing_json` text NOT NULL,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
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
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "transactions_type_valid" CHECK("transactions"."type" IN ('deposit', 'usage', 'auto_recharge', 'refund', 'adjustment')),
	CONSTRAINT "transactions_status_valid" CHECK("transactions"."status" IN ('completed', 'pending', 'failed', 'accumulating')),
	CONSTRAINT "transactions_forgiven_non_negative" CHECK("transactions"."forgiven_micros" >= 0),
	CONSTRAINT "transactions_completed_has_balance_after" CHECK("transactions"."status" <> 'completed' OR "transactions"."balance_after_micros" IS NOT NULL)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_id` ON `transactions` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_workspace_idempotency` ON `transactions` (`workspace_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_seq` ON `transactions` (`workspace_id`,`seq`);--> statement-breakpoint
CREATE TABLE `usage_events` (
	`workspace_id` text NOT NULL,
	`event_id` text NOT NULL,
	`request_hash` text NOT NULL,
	`hour_ms` integer NOT NULL,
	`occurred_at_ms` integer NOT NULL,
	`member_id` text DEFAULT '' NOT NULL,
	`type` text NOT NULL,
	`line_key` text NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`amount_micros` integer DEFAULT 0 NOT NULL,
	`price_version` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `event_id`)
);
--> statement-breakpoint
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
CREATE TABLE `workspaces` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`plan_id` text DEFAULT 'payg' NOT NULL,
	`auto_topup_enabled` integer DEFAULT false NOT NULL,
	`auto_topup_threshold_cents` integer DEFAULT 1000 NOT NULL,
	`auto_topup_amount_cents` integer DEFAULT 2500 NOT NULL,
	`created_at_ms` integer NOT NULL
);
