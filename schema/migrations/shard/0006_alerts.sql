-- Alerts (issue 28): per-workspace thresholds, the termination warning's lead time and whether admins
-- get alerts by email. The alert state (which thresholds are crossed, the warning sent) comes with
-- the alerts themselves in a later migration.
ALTER TABLE `ledger_workspaces` ADD `alert_thresholds_json` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `ledger_workspaces` ADD `alert_termination_warning_minutes` integer DEFAULT 60 NOT NULL;--> statement-breakpoint
ALTER TABLE `ledger_workspaces` ADD `alert_email_admins` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `ledger_workspaces` ADD `alerts_updated_at_ms` integer;