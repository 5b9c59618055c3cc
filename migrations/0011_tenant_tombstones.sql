-- When a tenant id was last deleted: another isolate may still hold that tenant's API keys in
-- its config cache for CONFIG_CACHE_TTL_S, so the id cannot be created again until then.
CREATE TABLE `tenant_tombstones` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`deleted_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `tenant_tombstones_deleted_at` ON `tenant_tombstones` (`deleted_at`);
