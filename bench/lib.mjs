// Shared helpers of the benchmarks that drive the real server (bench/wake,
// bench/density): first-byte timing, percentiles, and /proc readings.
// The server, users and Spaces are made with the end-to-end helpers
// (tests/e2e/lib.mjs), so a benchmark runs exactly what the tests run.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export * from '../tests/e2e/lib.mjs';

// One request on a fresh connection; `ms` runs from sending the request to
// the first byte of the answer (the status line), the body is read after.
export function firstByte(port, host, p = '/', { timeoutMs = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, agent: false, headers: { Host: host } });
    let sent = 0;
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${host}${p} within ${timeoutMs} ms`)));
    req.on('response', (res) => {
      const first = performance.now();  // the status line and headers are parsed: the first bytes came
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ ms: first - sent, status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    sent = performance.now();
    req.end();
  });
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export function summary(values) {
  return { n: values.length, p50: percentile(values, 50), p90: percentile(values, 90), max: Math.max(...values) };
}

export const ms = (v) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : 'n/a');

export function printRow(label, values) {
  const s = summary(values);
  console.log(`${label.padEnd(36)} n=${String(s.n).padStart(4)}  p50 ${ms(s.p50).padStart(8)} ms  ` +
    `p90 ${ms(s.p90).padStart(8)} ms  max ${ms(s.max).padStart(8)} ms`);
  return s;
}

// Resident memory of a process in KiB (VmRSS), 0 if it is gone.
export function rssKb(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function threadCount(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Threads:\s+(\d+)/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

// utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat).
export function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

// Every process below `pid` (children, grandchildren, ...), from the ppid field of /proc/*/stat.
export function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  const todo = [pid];
  while (todo.length) {
    for (const c of children.get(todo.pop()) ?? []) { out.push(c); todo.push(c); }
  }
  return out;
}

// What `criu check` says, or why there is nothing to check.
export function criuReport() {
  let found;
  try {
    found = execFileSync('sh', ['-c', 'command -v criu'], { stdio: 'pipe' }).toString().trim();
  } catch {
    return { available: false, text: 'criu not installed: checkpoint case skipped' };
  }
  try {
    const out = execFileSync(found, ['check'], { stdio: 'pipe' }).toString().trim();
    return { available: true, text: `criu check: ${out || 'ok'}` };
  } catch (e) {
    return { available: false, text: `criu check failed: ${(e.stdout?.toString() ?? '') + (e.stderr?.toString() ?? '')}`.trim() };
  }
}
