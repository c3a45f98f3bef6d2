ALTER TABLE `workspaces` ADD `auto_recharge_crossing_at_ms` integer;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `auto_topup_failures` integer DEFAULT 0 NOT NULL;