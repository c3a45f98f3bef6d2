-- Alert state (issue 28): which thresholds the balance is below now, whether it was ever funded / is
-- at zero, and the predictedAt of the termination warning still standing. Written by the ledger
-- object in the batch that puts the alerts it causes in the outbox (workers/ledger/alerts/).
ALTER TABLE `ledger_workspaces` ADD `alert_crossed_json` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `ledger_workspaces` ADD `alert_balance_state` text DEFAULT 'unfunded' NOT NULL;--> statement-breakpoint
ALTER TABLE `ledger_workspaces` ADD `alert_warned_zero_at_ms` integer;