CREATE TABLE `event_types` (
	`name` text PRIMARY KEY NOT NULL,
	`description` text NOT NULL,
	`schema` text,
	`example` text,
	`deprecated` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
