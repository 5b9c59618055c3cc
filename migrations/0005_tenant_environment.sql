-- Tenant environment (SPEC "Tenants"): `production` (default) or `sandbox`, where endpoints may use
-- http:// URLs. Copied onto each endpoint so the dispatcher checks it before every attempt.
ALTER TABLE `tenants` ADD `environment` text DEFAULT 'production' NOT NULL;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `tenant_environment` text DEFAULT 'production' NOT NULL;
