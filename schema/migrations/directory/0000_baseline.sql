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
CREATE TABLE `checkout_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`transaction_key` text NOT NULL,
	`amount_cents` integer NOT NULL,
	`payment_intent_id` text,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `checkout_sessions_payment_intent` ON `checkout_sessions` (`payment_intent_id`);--> statement-breakpoint
CREATE TABLE `dashboard_links` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`member_id` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`expires_at_ms` integer NOT NULL,
	`used_at_ms` integer,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `dashboard_links_workspace` ON `dashboard_links` (`workspace_id`);--> statement-breakpoint
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
CREATE TABLE `reconciliation_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`started_at_ms` integer NOT NULL,
	`finished_at_ms` integer NOT NULL,
	`event_cursor_seconds` integer NOT NULL,
	`report_json` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `resource_owners` (
	`resource_id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`claimed_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `stripe_customers` (
	`workspace_id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`payment_method_id` text,
	`card_brand` text,
	`card_last4` text,
	`updated_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `stripe_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`workspace_id` text,
	`processed_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `workspaces` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`plan_id` text DEFAULT 'payg' NOT NULL,
	`created_at_ms` integer NOT NULL,
	`shard` text NOT NULL
);
--> statement-breakpoint
-- Hand-written (drizzle has no seed DSL): the price list a fresh installation starts with
-- with PUT /internal/v1/pricing; earlier usage keeps the prices it was recorded under.
-- Units: micro-credits (1 credit = 1 USD = 1,000,000 micros).
INSERT INTO `price_lists` (`effective_from_ms`, `pricing_json`, `created_at_ms`) VALUES (0, '{"models":[{"model":"gpt-4o-mini","inputMicrosPerMillionTokens":150000,"outputMicrosPerMillionTokens":600000},{"model":"gpt-4o","inputMicrosPerMillionTokens":2500000,"outputMicrosPerMillionTokens":10000000},{"model":"claude-sonnet-4","inputMicrosPerMillionTokens":3000000,"outputMicrosPerMillionTokens":15000000},{"model":"llama-3.1-70b","inputMicrosPerMillionTokens":880000,"outputMicrosPerMillionTokens":880000}],"instanceTypes":[{"instanceType":"cpu-small","microsPerHour":36000},{"instanceType":"cpu-large","microsPerHour":288000},{"instanceType":"gpu-a10g","microsPerHour":1100000},{"instanceType":"gpu-a100","microsPerHour":3600000},{"instanceType":"gpu-h100","microsPerHour":4500000}],"storage":{"microsPerGbMonth":100000},"toolExecution":{"microsPerExecution":1000}}', 0);
