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
ALTER TABLE `workspaces` ADD `storage_suspended_at_ms` integer;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `terminated_at_ms` integer;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `low_balance_since_ms` integer;