CREATE INDEX `transactions_workspace_type_seq` ON `transactions` (`workspace_id`,`type`,`seq`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_status_seq` ON `transactions` (`workspace_id`,`status`,`seq`);--> statement-breakpoint
CREATE INDEX `transactions_workspace_type_status_seq` ON `transactions` (`workspace_id`,`type`,`status`,`seq`);