-- Admins' alert emails (issue 28): one row per (outbox event, admin) in notification_emails, sent through
-- the EMAIL binding by the notification consumer; platform_events.email_state says whether the
-- event still has to be fanned out to the admins (set in the event's own INSERT).
CREATE TABLE `notification_emails` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`recipient` text NOT NULL,
	`subject` text NOT NULL,
	`body_text` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`delivery_state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_attempt_at_ms` integer,
	`last_error` text,
	`delivered_at_ms` integer,
	`lease_until_ms` integer,
	`message_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notification_emails_event_recipient` ON `notification_emails` (`event_id`,`recipient`);--> statement-breakpoint
CREATE INDEX `notification_emails_workspace` ON `notification_emails` (`workspace_id`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `notification_emails_pending` ON `notification_emails` (`delivery_state`,`created_at_ms`);--> statement-breakpoint
ALTER TABLE `platform_events` ADD `email_state` text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE `platform_events` ADD `webhook_url` text;--> statement-breakpoint
CREATE INDEX `platform_events_email_pending` ON `platform_events` (`email_state`,`created_at_ms`);