ALTER TABLE `balances` ADD `ledger_sum_micros` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `balances` SET `ledger_sum_micros` = (
  SELECT COALESCE(SUM(t.`amount_micros`), 0) FROM `transactions` t
   WHERE t.`workspace_id` = `balances`.`workspace_id` AND t.`status` = 'completed'
);
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
