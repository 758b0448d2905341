# syntax=docker/dockerfile:1
# One image for every app; the command picks the app:
#   docker build -t dataproc .
#   docker run dataproc                                        # the gateway (APP=gateway)
#   docker run -e APP=evaluator dataproc                       # or --build-arg APP=evaluator
#   docker run dataproc node dist/apps/evaluator/src/main.js   # any app, as compose and k8s run them
# Built and run on the current Node LTS; the code keeps working on Node 20 (engines >=20).
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: every dependency, TypeScript compiled to dist/
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs an install script (package.json allowScripts lists none as allowed).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
RUN npm run build

# ---- production dependencies only
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts --omit=dev && npm cache clean --force

# ---- runtime: slim, non-root, tini as PID 1 so SIGTERM reaches Node and the workers drain
FROM ${NODE_IMAGE} AS runtime
# The app the default command runs: `docker build --build-arg APP=evaluator`, or `docker run -e APP=...`.
ARG APP=gateway
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    APP=${APP} \
    PORT=3000 \
    HEALTH_PORT=9464
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY docker/healthcheck.js docker/healthcheck.js
# The image's `node` user (uid 1000); nothing under /app is writable by it.
USER node
# 3000: the gateway's API, probes and metrics. 9464: a worker's probes and metrics.
EXPOSE 3000 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "docker/healthcheck.js"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# exec: node replaces the shell, so tini's child is node itself.
CMD ["sh", "-c", "exec node dist/apps/${APP}/src/main.js"]
