-- Portal links carry a one-time login code instead of the bearer token (SPEC "Portal").
-- The code is stored hashed, valid 10 minutes, used once; using it mints the browser's own
-- cookie secret (also hashed), so neither the link nor the cookie is the session's bearer token.
ALTER TABLE `portal_sessions` ADD `login_code_hash` text;--> statement-breakpoint
ALTER TABLE `portal_sessions` ADD `login_code_expires_at` integer;--> statement-breakpoint
ALTER TABLE `portal_sessions` ADD `login_code_used_at` integer;--> statement-breakpoint
ALTER TABLE `portal_sessions` ADD `cookie_hash` text;--> statement-breakpoint
CREATE UNIQUE INDEX `portal_sessions_login_code` ON `portal_sessions` (`login_code_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `portal_sessions_cookie` ON `portal_sessions` (`cookie_hash`);
