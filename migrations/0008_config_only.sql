-- D1 keeps configuration only: each tenant's events, idempotency keys, deliveries, attempts,
-- stats, tasks and dead letters now live in its TenantLog Durable Object (src/tenant-log).
ALTER TABLE `tenants` ADD `retention_days` integer;--> statement-breakpoint
CREATE INDEX `api_keys_tenant` ON `api_keys` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `task_owners` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `task_owners_tenant` ON `task_owners` (`tenant_id`);--> statement-breakpoint
DROP TABLE `attempts`;--> statement-breakpoint
DROP TABLE `deliveries`;--> statement-breakpoint
DROP TABLE `events`;--> statement-breakpoint
DROP TABLE `idempotency_keys`;--> statement-breakpoint
DROP TABLE `tasks`;--> statement-breakpoint
DROP TABLE `dead_letters`;--> statement-breakpoint
DROP TABLE `delivery_stats`;
