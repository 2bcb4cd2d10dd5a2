# syntax=docker/dockerfile:1
# meshwarden container image: `docker build -t meshwarden:dev .`
# Three stages: build (TypeScript -> dist/), runtime dependencies (production node_modules plus the
# optional native TensorFlow backend), and the runtime image, which holds no compiler, no dev
# dependencies and no sources, and runs as the unprivileged `node` user (uid 1000).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/write-build-info.mjs ./scripts/
# The commit `meshwarden version` reports: docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) .
ARG GIT_COMMIT=
ENV MESHWARDEN_GIT_COMMIT=$GIT_COMMIT
RUN npm run build

FROM ${NODE_IMAGE} AS deps
# @tensorflow/tfjs-node fetches a prebuilt libtensorflow and N-API binding when it installs; the
# toolchain is only there in case it has to build the binding itself.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
# The optional accelerator of the autoencoder detector; without it the engine runs TensorFlow.js in
# pure JavaScript. Build with --build-arg TFJS_NODE_VERSION= to leave it out.
ARG TFJS_NODE_VERSION=4.22.0
RUN if [ -n "$TFJS_NODE_VERSION" ]; then \
      npm install --omit=dev --no-save --no-audit --no-fund "@tensorflow/tfjs-node@${TFJS_NODE_VERSION}"; \
    fi \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root detectors ./detectors
COPY --chown=root:root playbooks ./playbooks
COPY --chown=root:root schemas ./schemas
# Files belong to root and are read-only for the engine; it writes only to its state directory
# and /tmp (the Helm chart mounts both, and runs with a read-only root filesystem).
RUN mkdir -p /var/lib/meshwarden /etc/meshwarden \
 && chown node:node /var/lib/meshwarden
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "bin/meshwarden.js"]
CMD ["serve", "--config", "/etc/meshwarden/config.yaml"]
