-- one_worker: the overlap check's connection takes one parallel worker: with its own process that
-- is both cores, which the import's single-process insert then shares with it instead of being
-- crowded out by three.
SET max_parallel_workers_per_gather = 1
