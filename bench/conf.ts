/**
 * Config texts for every server the benchmark runs: the nginx origin, the anchors (nginx
 * `proxy_pass` with upstream keepalive, HAProxy with `http-reuse always`, Caddy) and Switchyard's
 * plain config. Pure functions of ports and paths; each server gets its own temp prefix, pid and
 * log paths under the run directory, and listens on loopback only.
 *
 * @module
 */

/** `host:port` of an upstream. */
export type HostPort = string;

/** Options of {@linkcode originNginxConf}. */
export interface OriginConfOptions {
  /** Run directory (temp files, pid, logs; `www/16k.bin` must exist). */
  readonly dir: string;
  /** Unique name inside the run directory. */
  readonly name: string;
  /** Listen addresses (`127.0.0.1:18080`) answering `/` (12 B) and `/16k` (16 KiB). */
  readonly listens: readonly HostPort[];
  /** Listen addresses answering 500 to everything (a failing endpoint). */
  readonly errorListens?: readonly HostPort[];
}

function nginxCommon(dir: string, name: string): string {
  return `worker_processes 1;
daemon off;
master_process on;
pid ${dir}/${name}.pid;
error_log ${dir}/${name}.error.log warn;

events {
    worker_connections 8192;
}
`;
}

function nginxHttpCommon(dir: string, name: string): string {
  return `    access_log off;
    server_tokens off;
    keepalive_timeout 75s;
    keepalive_requests 10000000;      # do not recycle client connections mid-run
    client_body_temp_path ${dir}/${name}-tmp/body;
    proxy_temp_path       ${dir}/${name}-tmp/proxy;
    fastcgi_temp_path     ${dir}/${name}-tmp/fastcgi;
    uwsgi_temp_path       ${dir}/${name}-tmp/uwsgi;
    scgi_temp_path        ${dir}/${name}-tmp/scgi;
`;
}

/**
 * The origin: nginx, one worker, no logging, keep-alive forever. `GET /` → `Hello world\n`
 * (12 bytes), `GET /16k` → 16384 bytes (static file, sendfile), `GET /www/<file>` → a file of the
 * run directory's `www/`.
 *
 * @returns nginx.conf text
 */
export function originNginxConf(o: OriginConfOptions): string {
  const ok = o.listens.map((l) => `        listen ${l} backlog=4096;`).join("\n");
  const err = (o.errorListens ?? []).map((l) => `        listen ${l} backlog=4096;`).join("\n");
  return `${nginxCommon(o.dir, o.name)}
http {
${nginxHttpCommon(o.dir, o.name)}    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=16 inactive=600s;
    open_file_cache_valid 600s;

    server {
${ok}
        location = /16k {
            root ${o.dir}/www;
            try_files /16k.bin =404;
        }
        location /www/ {
            alias ${o.dir}/www/;       # large files (the sparse 1 GiB of the streaming run)
        }
        location / {
            default_type text/plain;
            return 200 "Hello world\\n";
        }
    }
${
    err
      ? `
    server {
${err}
        location / {
            default_type text/plain;
            return 500 "failing endpoint\\n";
        }
    }
`
      : ""
  }}
`;
}

/**
 * Retry settings of the anchors in the latency-under-failure run; with them the anchors also
 * balance by least connections (nginx `least_conn`, HAProxy `balance leastconn`), the closest
 * match to Switchyard's p2c least-outstanding.
 */
export interface RetryConf {
  /** Upstream read timeout, ms (nginx `proxy_read_timeout`, HAProxy `timeout server`). */
  readonly readTimeoutMs: number;
}

/**
 * The nginx anchor: `proxy_pass` to an upstream block with `keepalive 64`, one worker. With
 * `retry`, failed attempts go to the next server (`proxy_next_upstream error timeout http_500
 * http_502 http_503`, at most 3 tries) and a server is skipped for 10 s after one failure
 * (nginx's passive health: `max_fails=1 fail_timeout=10s`), balanced by `least_conn`.
 *
 * @returns nginx.conf text
 */
export function nginxProxyConf(o: {
  dir: string;
  name: string;
  port: number;
  upstreams: readonly HostPort[];
  retry?: RetryConf | undefined;
}): string {
  const servers = o.upstreams.map((u) => `        server ${u} max_fails=1 fail_timeout=10s;`)
    .join("\n");
  const retry = o.retry
    ? `            proxy_next_upstream error timeout http_500 http_502 http_503;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 1s;
            proxy_read_timeout ${Math.max(1, Math.round(o.retry.readTimeoutMs))}ms;
`
    : "";
  return `${nginxCommon(o.dir, o.name)}
http {
${nginxHttpCommon(o.dir, o.name)}
    upstream origin {
${o.retry ? "        least_conn;\n" : ""}${servers}
        keepalive 64;                  # idle upstream connections kept per worker
        keepalive_requests 10000000;
        keepalive_timeout 60s;
    }

    server {
        listen 127.0.0.1:${o.port} backlog=4096;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
${retry}        }
    }
}
`;
}

/**
 * The HAProxy anchor: HTTP mode, one thread, server-side connection reuse (`http-reuse always`).
 * With `retry`: `retry-on conn-failure empty-response response-timeout 500 502 503`, `retries 2`,
 * `option redispatch 1` (each retry goes to another server), `balance leastconn`.
 *
 * @returns haproxy.cfg text
 */
export function haproxyCfg(o: {
  port: number;
  upstreams: readonly HostPort[];
  retry?: RetryConf | undefined;
}): string {
  const servers = o.upstreams.map((u, i) => `    server o${i + 1} ${u}`).join("\n");
  const retry = o.retry
    ? `    retries 2
    option redispatch 1
    retry-on conn-failure empty-response response-timeout 500 502 503
    timeout connect 1s
    timeout server ${Math.max(1, Math.round(o.retry.readTimeoutMs))}ms
`
    : "";
  return `global
    nbthread 1
    maxconn 4096

defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s

frontend fe
    bind 127.0.0.1:${o.port}
    default_backend origin

backend origin
    balance ${o.retry ? "leastconn" : "roundrobin"}
${retry}${servers}
`;
}

/**
 * The Caddy anchor (run with `GOMAXPROCS=1`).
 *
 * @returns Caddyfile text
 */
export function caddyfile(o: { port: number; upstream: HostPort }): string {
  return `{
	admin off
	auto_https off
}

http://:${o.port} {
	bind 127.0.0.1
	reverse_proxy ${o.upstream} {
		transport http {
			keepalive 60s
			keepalive_idle_conns 128
			keepalive_idle_conns_per_host 64
		}
	}
}
`;
}

/**
 * Switchyard's plain config: one router, `io.l5d.fs` namer over `rootDir`, dtab
 * `/svc => /#/io.l5d.fs`, the default identifier (`Host`) and the default client stack
 * (classifier, retry budget, p2c, failure accrual, metrics, tracing at the default rate).
 *
 * @returns YAML text
 */
export function switchyardYaml(o: {
  port: number;
  adminPort: number;
  rootDir: string;
  /** Extra YAML lines appended under the router (indented by the caller, 2 spaces). */
  routerExtra?: string | undefined;
  /** `servers[].engine` (default: Switchyard's default, the raw engine). */
  engine?: "raw" | "serve" | undefined;
}): string {
  return `# switchyard bench: plain config
admin:
  ip: 127.0.0.1
  port: ${o.adminPort}
namers:
- kind: io.l5d.fs
  rootDir: ${JSON.stringify(o.rootDir)}
routers:
- protocol: http
  label: bench
  dtab: |
    /svc => /#/io.l5d.fs;
  servers:
  - ip: 127.0.0.1
    port: ${o.port}
${o.engine ? `    engine: ${o.engine}\n` : ""}${o.routerExtra ?? ""}`;
}
