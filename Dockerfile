# syntax=docker/dockerfile:1
# mediavault: multi-stage build. The runtime image holds the compiled server, production dependencies only, and
# runs as the unprivileged `node` user. Configuration comes from the environment (see .env.example).

ARG NODE_VERSION=20.20

# --- build: full dependencies, TypeScript compiled to dist/ (server, migrations, web console in dist/web) -----------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.migrations.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
COPY web ./web
RUN npm run build

# --- runtime: production dependencies + dist/ ------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# glibc's allocator, for the renditions' image buffers (docs/renditions.md, bench:renditions): each thread that
# allocates under contention gets an arena of its own, where libvips' threads leave memory scattered (two arenas cut
# a rendering worker's peak RSS from ~440 MB to ~300 MB); blocks from 128 KiB up are mapped on their own and given
# back to the system when freed instead of staying in an arena (~300 MB to ~280 MB).
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# DATA_DIR holds the generated first-admin password (and, only when DATABASE_URL / S3_ENDPOINT are unset, the
# embedded servers' data): a volume, writable by the non-root user.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself (src/main.ts closes the app, then anything embedded).
CMD ["node", "dist/main.js"]
