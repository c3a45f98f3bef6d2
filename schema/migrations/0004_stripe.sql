CREATE TABLE `checkout_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`transaction_key` text NOT NULL,
	`amount_cents` integer NOT NULL,
	`payment_intent_id` text,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `checkout_sessions_payment_intent` ON `checkout_sessions` (`payment_intent_id`);--> statement-breakpoint
CREATE TABLE `stripe_customers` (
	`workspace_id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`payment_method_id` text,
	`card_brand` text,
	`card_last4` text,
	`updated_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `stripe_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`workspace_id` text,
	`processed_at_ms` integer NOT NULL
);
