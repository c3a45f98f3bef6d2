-- Auto-recharge modes (issue 28): `fixed` charges auto_topup_amount_cents, `target` charges what
-- brings the balance up to auto_topup_target_cents; an optional cap per UTC month; the month whose
-- auto_recharge.limit_reached was sent (one a month).
ALTER TABLE `ledger_workspaces` ADD `auto_topup_mode` text DEFAULT 'fixed' NOT NULL;--> statement-breakpoint
ALTER TABLE `ledger_workspaces` ADD `auto_topup_target_cents` integer;--> statement-breakpoint
ALTER TABLE `ledger_workspaces` ADD `auto_topup_monthly_limit_cents` integer;--> statement-breakpoint
ALTER TABLE `ledger_workspaces` ADD `auto_recharge_limit_notified_month` text;--> statement-breakpoint
-- A pending auto-recharge the customer must authenticate (3-D Secure): where, and since when. A
-- side table, because a pending ledger entry may only ever change by settling (0000's triggers).
CREATE TABLE `auto_recharge_actions` (
	`transaction_id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`payment_intent_id` text NOT NULL,
	`action_url` text NOT NULL,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `auto_recharge_actions_workspace` ON `auto_recharge_actions` (`workspace_id`);
