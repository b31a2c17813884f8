# One entry per job of src/graph/graph.ts: its size and exactly what it may read and write.
# Tests (../../tests/*.tftest.hcl and tests/infra/terraform.test.ts) hold every job to this list.
#   writes: the tables the job publishes (jobs/*.ts: ctx.stage), its own prefixes tables/<t>/
#   reads:  the tables it reads besides its own (ctx.currentFiles, snapshots, the export diff)
#   views:  creates v_outcome_experience_lookup and v_dim_customer in Athena after publishing
#           (src/runtime/context.ts: VIEW_SOURCES)
#   lists_raw: raw streams it lists without reading them: the month close (exports with final) compares
#           each ingest partition's fingerprint with the raw objects now in its window (src/runtime/status.ts)
#   shards: runs as --shard k/N tasks plus a --merge-shards N task (SHARDABLE_JOBS in jobs/index.ts),
#           which keep their parts under _shards/<job>/; an ingest job routes first (--route N, _routed/<stream>/)

# Task sizes (issue 16, docs/performance.md "Memory"): DuckDB takes half of the task's memory by default
# (src/config/memoryLimit.ts reads the task's cgroup limit), the rest is headroom for what it allocates
# outside its pool. Measured peak RSS: the whole daily graph at 2M events a day in a 4 GB cgroup 1382 MB;
# each job at 10M a day in a 4 GB cgroup ≤ 2.4 GB (attempted 2193 MB, delivered 2171, calc 2331), in 8 GB
# ≤ 4.2 GB; the route (--route, an ingest job's task) of a day's 24 arrival hours at 2M a day 1081 MB.
# So 2 vCPU / 4 GB for an ingest (or an ingest shard, or a route) of up to ~10M events a day; the calc
# keeps 4 vCPU with Fargate's least memory for it, 8 GB (4 threads).
locals {
  jobs = {
    notification_attempted_daily = {
      cpu         = 2048, memory = 4096, ephemeral_gib = 50
      raw_streams = ["notification_attempted"]
      reads       = []
      writes      = ["notification_attempted", "notification_attempted_rejects"]
      views       = false
      exports     = false
      warehouse   = false
      shards      = true
      lists_raw   = []
    }
    notification_delivered_daily = {
      cpu         = 2048, memory = 4096, ephemeral_gib = 50
      raw_streams = ["notification_delivered"]
      reads       = []
      writes      = ["notification_delivered", "notification_delivered_rejects"]
      views       = false
      exports     = false
      warehouse   = false
      shards      = true
      lists_raw   = []
    }
    outcome_experience_lookup_daily = {
      cpu         = 512, memory = 1024, ephemeral_gib = 21
      raw_streams = ["experience_config"]
      reads       = []
      writes      = ["outcome_experience_lookup", "experience_config_rejects"]
      views       = true
      exports     = false
      warehouse   = false
      shards      = false
      lists_raw   = []
    }
    dim_customer_daily = {
      cpu         = 512, memory = 2048, ephemeral_gib = 21
      raw_streams = []
      reads       = []
      writes      = ["dim_customer"]
      views       = true
      exports     = false
      warehouse   = true
      shards      = false
      lists_raw   = []
    }
    # Per date: the intermediates and unattributed_deliveries; per billing month: audit and agg.
    # Its publish lock is the month's (_state/locks/ace_unit_calc_daily/<YYYY-MM>.lock).
    ace_unit_calc_daily = {
      cpu         = 4096, memory = 8192, ephemeral_gib = 100
      raw_streams = []
      reads       = ["notification_attempted", "notification_delivered"]
      writes      = ["ace_engagement_daily", "ace_attempt_daily", "unattributed_deliveries", "ace_unit_audit", "ace_unit_agg"]
      views       = false
      exports     = false
      warehouse   = false
      shards      = true
      lists_raw   = []
    }
    # Both exports share src/runtime/exports.ts: the month's audit and agg, the lookups as of the last
    # day, and for a new version's unit diff the engagements and the events of the month.
    ace_unit_monthly_output = {
      cpu         = 1024, memory = 4096, ephemeral_gib = 30
      raw_streams = []
      reads = [
        "ace_unit_audit", "ace_unit_agg", "dim_customer", "outcome_experience_lookup",
        "ace_engagement_daily", "notification_attempted", "notification_delivered",
      ]
      writes    = []
      views     = false
      exports   = true
      warehouse = false
      shards    = false
      lists_raw = ["notification_attempted", "notification_delivered", "experience_config"]
    }
    ace_unit_monthly_outcome_experience_output = {
      cpu         = 1024, memory = 4096, ephemeral_gib = 30
      raw_streams = []
      reads = [
        "ace_unit_audit", "ace_unit_agg", "dim_customer", "outcome_experience_lookup",
        "ace_engagement_daily", "notification_attempted", "notification_delivered",
      ]
      writes    = []
      views     = false
      exports   = true
      warehouse = false
      shards    = false
      lists_raw = ["notification_attempted", "notification_delivered", "experience_config"]
    }
  }

  # npm run gc (src/cli/gc.ts), scheduled daily by modules/scheduling: not a job of the graph.
  gc = { cpu = 512, memory = 2048, ephemeral_gib = 21 }

  # Every container (jobs and gc) runs with readonlyRootFilesystem: its only writable place is this
  # volume on the task's ephemeral storage, at the Dockerfile's VOLUME /scratch (owned by its node user).
  # The variables point every temporary file there (src/config/config.ts: scratch root, DuckDB spill).
  scratch = {
    volume = "scratch"
    path   = "/scratch"
    environment = {
      TMPDIR              = "/scratch"
      ACE_SCRATCH_DIR     = "/scratch/ace-unit"
      ACE_DUCKDB_TEMP_DIR = "/scratch/duckdb"
    }
  }
}
