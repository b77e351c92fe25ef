# syntax=docker/dockerfile:1
# Grafana with the GoPulse plugin built from this repository (docker-compose.yaml service
# "grafana"): the frontend with npm, the backend with Go for the target architecture,
# both copied into the official Grafana image. Independent of .config/.

ARG GRAFANA_VERSION=13.2.2

FROM --platform=$BUILDPLATFORM node:20-bookworm-slim AS frontend
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS backend
ARG TARGETOS=linux
ARG TARGETARCH=amd64
WORKDIR /src
COPY go.mod go.sum ./
COPY pkg/ pkg/
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/gpx_health_${TARGETOS}_${TARGETARCH} ./pkg

FROM grafana/grafana:${GRAFANA_VERSION}
COPY --from=frontend /src/dist/ /var/lib/grafana/plugins/gopulse-health-datasource/
COPY --from=backend /out/ /var/lib/grafana/plugins/gopulse-health-datasource/
