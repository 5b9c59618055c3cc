CREATE TABLE `delivery_stats` (
	`endpoint_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`hour` integer NOT NULL,
	`attempts_ok` integer DEFAULT 0 NOT NULL,
	`attempts_failed` integer DEFAULT 0 NOT NULL,
	`succeeded` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`cancelled` integer DEFAULT 0 NOT NULL,
	`latency` text NOT NULL,
	PRIMARY KEY(`endpoint_id`, `hour`)
);
--> statement-breakpoint
CREATE INDEX `delivery_stats_tenant` ON `delivery_stats` (`tenant_id`,`hour`);