# The qaf CLI in a container, for sweeps sharded over a cluster (deploy/README.md, "Sharded sweeps").
#   docker build -t qaf .
#   docker run --rm -v "$PWD:/work" qaf sweep model.onnx --data test.bin --shard 0/4 --shard-dir shards
# The image holds the sources, node_modules (the CLI runs its TypeScript through tsx, a dev
# dependency, and decodes images with pngjs/jpeg-js) and the WASM kernels built from
# workers/kernels. Models and data come in through a volume; nothing is downloaded at run time.
FROM node:20-bookworm-slim

ENV NODE_ENV=development \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /opt/qaf

COPY package.json package-lock.json ./
# No install scripts: nothing the CLI uses needs one (esbuild's binary comes as an optional
# dependency), and the browser test tools would otherwise fetch browsers.
RUN npm ci --ignore-scripts && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY scripts/buildWasm.mjs ./scripts/buildWasm.mjs
COPY tsconfig.json ./
RUN npm run build:wasm && node bin/qaf --help > /dev/null

# Run as an unprivileged user; results go to the mounted working directory.
RUN mkdir /work && chown node:node /work
USER node
WORKDIR /work
ENTRYPOINT ["node", "/opt/qaf/bin/qaf"]
CMD ["--help"]
