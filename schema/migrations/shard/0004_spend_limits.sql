CREATE TABLE `spend_limits` (
	`workspace_id` text NOT NULL,
	`member_id` text NOT NULL,
	`limit_micros` integer NOT NULL,
	`period` text NOT NULL,
	`updated_at_ms` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `member_id`),
	CONSTRAINT "spend_limits_positive" CHECK("spend_limits"."limit_micros" > 0),
	CONSTRAINT "spend_limits_period_valid" CHECK("spend_limits"."period" IN ('day', 'month'))
);
