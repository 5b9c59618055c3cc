-- A hot tenant's log segments split over k hash shards: `log_shards` is the k the next segment
-- opens with (set by an operator), `log_shard_history` the JSON [[segment, k], ...] of each change
-- as it took effect at a rollover, so every reader knows each segment's k. [] means k = 1 always.
ALTER TABLE `tenants` ADD `log_shards` integer DEFAULT 1 NOT NULL;
--> statement-breakpoint
ALTER TABLE `tenants` ADD `log_shard_history` text DEFAULT '[]' NOT NULL;
