-- A tenant's log is a series of TenantLog segments; the tenant row says which are kept. Segment 0
-- is the object named by the bare tenant id, so every existing log is its tenant's first segment.
ALTER TABLE `tenants` ADD `log_first_segment` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE `tenants` ADD `log_current_segment` integer DEFAULT 0 NOT NULL;
