-- When a disabled endpoint was last enabled again (null: never). With `disabled_at`, which an
-- enable now keeps, it bounds what the endpoint missed while disabled: the events of that window
-- with no delivery to it, counted by the replay plan in `missing` mode (docs/replays.md).
ALTER TABLE `endpoints` ADD `enabled_at` integer;
