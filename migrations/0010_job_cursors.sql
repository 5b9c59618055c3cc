-- Where a paged background job (the reseal pass) goes on from at its next cron run, so rows it
-- cannot handle (ciphertexts no key opens) are passed over instead of taken first every run.
CREATE TABLE `job_cursors` (
	`name` text PRIMARY KEY NOT NULL,
	`cursor` text NOT NULL,
	`updated_at` integer NOT NULL
);
