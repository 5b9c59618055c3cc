-- Per-endpoint opt-out of `traceparent` propagation: a producer's internal trace ids need not
-- reach every receiver (a vendor's customers). 1 (the default) forwards the ingest's trace.
ALTER TABLE `endpoints` ADD `propagate_traceparent` integer DEFAULT 1 NOT NULL;
