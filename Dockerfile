# syntax=docker/dockerfile:1
# Signatory TS: the daemon and signatory-cli, bundled by `npm run bundle` (one file each, no
# node_modules), on Node 22 slim, run as an unprivileged user. Built by your CI, not by these
# machines: see docs/deployment.md.
#
#   docker build -t signatory-ts .                    # the signer (last stage: the default)
#   docker build --target kms-local -t kms-local .    # the local KMS of examples/docker-compose.yml
#
# Runs with a read-only root filesystem: it writes only base_dir, /var/lib/signatory (a volume).
# Mount the config at /etc/signatory/signatory.yaml (read-only); its server.address and
# server.utility_address choose the listeners (this image's defaults: 6732 and 9583, on every
# interface of the container). HEALTHCHECK asks /healthz at $SIGNATORY_HEALTHZ_URL: change it
# with utility_address.

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages packages
COPY apps apps
COPY scripts scripts
# no install scripts: the prebuilt binaries the bundle needs come inside their packages
RUN npm ci --ignore-scripts --no-audit --no-fund && npm run bundle

FROM node:22-bookworm-slim AS kms-local
# the bundle and the licence notices of the libraries bundled into it
COPY --from=build /src/dist-bundle/kms-local.js /src/dist-bundle/kms-local.js.LEGAL.txt /opt/kms-local/
# a named volume takes the ownership of the directory it is mounted on
RUN mkdir -p /var/lib/kms-local && chown node:node /var/lib/kms-local
USER node
VOLUME /var/lib/kms-local
EXPOSE 4566
ENTRYPOINT ["node", "/opt/kms-local/kms-local.js", "--host", "0.0.0.0", "--port", "4566"]
CMD ["--dir", "/var/lib/kms-local"]

FROM node:22-bookworm-slim AS signatory
ENV NODE_ENV=production \
    SIGNATORY_HEALTHZ_URL=http://127.0.0.1:9583/healthz
RUN groupadd --system --gid 10001 signatory \
 && useradd --system --uid 10001 --gid signatory --home-dir /var/lib/signatory --shell /usr/sbin/nologin signatory \
 && mkdir -p /var/lib/signatory /etc/signatory \
 && chown signatory:signatory /var/lib/signatory
# the bundles and the licence notices of the libraries bundled into them (prebuilds/ holds the addon's)
COPY --from=build /src/dist-bundle/signatory.js /src/dist-bundle/signatory-cli.js /src/dist-bundle/signatory.js.LEGAL.txt /src/dist-bundle/signatory-cli.js.LEGAL.txt /opt/signatory/
COPY --from=build /src/dist-bundle/prebuilds /opt/signatory/prebuilds
USER signatory:signatory
WORKDIR /var/lib/signatory
VOLUME /var/lib/signatory
EXPOSE 6732 9583
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.SIGNATORY_HEALTHZ_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains requests in flight (up to 10 s: give `docker stop -t 15`); SIGHUP reloads the config
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/signatory/signatory.js"]
CMD ["serve", "-c", "/etc/signatory/signatory.yaml", "--json-log"]
