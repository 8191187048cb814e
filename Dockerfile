# tssentinel image: Node 20 + the built Sentinel. The config is copied into a
# writable volume at start (the Sentinel persists its state into it).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends redis-tools \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY conf ./conf
COPY docker/entrypoint.sh /usr/local/bin/tssentinel-entrypoint
# Runs as the image's unprivileged `node` user; a new named volume on /data
# takes this directory's ownership, so the Sentinel can rewrite its config.
RUN chmod 755 /usr/local/bin/tssentinel-entrypoint && mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 26379
HEALTHCHECK --interval=5s --timeout=3s --retries=5 CMD redis-cli -p "${SENTINEL_PORT:-26379}" ping | grep -q PONG
ENTRYPOINT ["tssentinel-entrypoint"]
