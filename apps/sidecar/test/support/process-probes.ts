/**
 * Probes of a child sidecar process from the outside: its resident memory, `/healthz` latency,
 * and SSE clients that never read.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

/** Resident set size of `pid` in bytes (Linux `/proc`). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (match?.[1] === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Milliseconds one `GET /healthz` takes (a fresh connection each time), and its status. */
export async function healthzLatency(baseUrl: string): Promise<{ readonly ms: number; readonly status: number }> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/healthz`, { headers: { connection: 'close' } });
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

/**
 * Opens an SSE request on a raw socket and never reads it: the socket is paused before any byte
 * arrives, so the server's writes fill the kernel buffers and then its own.
 */
export function openNonReadingClient(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<Socket> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
      socket.pause();
      const lines = Object.entries({ host: url.host, accept: 'text/event-stream', ...headers }).map(([name, value]) => `${name}: ${value}`);
      socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      resolve(socket);
    });
    socket.pause();
    socket.once('error', reject);
  });
}

/** The value of one series (name with its labels as written, e.g. `x_total{rule="rpm"}`) in Prometheus text. */
export function metricValue(text: string, name: string): number {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
}
