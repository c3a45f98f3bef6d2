CREATE TABLE `hold_owners` (
	`hold_id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`claimed_at_ms` integer NOT NULL
);
