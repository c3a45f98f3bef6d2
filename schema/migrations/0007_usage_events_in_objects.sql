ALTER TABLE `balances` ADD `oldest_open_event_hour_ms` integer;--> statement-breakpoint
CREATE INDEX `settlement_lines_transaction` ON `settlement_lines` (`transaction_id`);--> statement-breakpoint
-- Workspaces with events in unsettled hours (stored here before this release): the cron must still
-- find them. Their ledger objects move those rows into their own storage on first load.
UPDATE `balances` SET `oldest_open_event_hour_ms` = (
  SELECT MIN(u.`hour_ms`) FROM `usage_rollups` u
   WHERE u.`workspace_id` = `balances`.`workspace_id` AND u.`hour_ms` >= `balances`.`settled_through_ms`
);
