CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`kind` text NOT NULL,
	`params` text NOT NULL,
	`total` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `tasks_tenant` ON `tasks` (`tenant_id`,`id`);--> statement-breakpoint
ALTER TABLE `deliveries` ADD `task_id` text;--> statement-breakpoint
CREATE INDEX `deliveries_task` ON `deliveries` (`task_id`);