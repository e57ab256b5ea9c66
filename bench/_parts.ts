import { auditLogFor } from '../activities/audit';
import { evidenceStoreFor } from '../activities/evidence/from-config';
import { createIngressApp, ingressDepsFrom, listen, evidenceRawStore } from '../ingress';
import { createMetrics } from '../ingress/metrics';
import { stackSettings } from '../test/support/ingress-stack';
import { alertSender } from './sender';
import { startDevServer, testConfig } from '../test/support/temporal';
import { cpuMeter, onSeparateCores } from './cpu';

async function pool(n: number, c: number, f: () => Promise<void>) {
  let next = 0; const t = performance.now();
  await Promise.all(Array.from({ length: c }, async () => { while (next++ < n) await f(); }));
  return performance.now() - t;
}
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(p / 100 * s.length)]!.toFixed(1); };
async function main() {
  const config = testConfig(stackSettings({ temporal: { taskQueue: 'parts-idle' } }));
  const env = await startDevServer(config);
  const ledger = auditLogFor(config);
  const raw = evidenceRawStore(evidenceStoreFor(config));
  const t = { raw: [] as number[], audit: [] as number[], total: [] as number[] };
  const app = createIngressApp(ingressDepsFrom(config, env.client, {
    metrics: createMetrics(),
    audit: { append: async (e) => { const s = performance.now(); await ledger.append(e); t.audit.push(performance.now() - s); } },
    rawStore: { put: async (src, b) => { const s = performance.now(); const r = await raw.put(src, b); t.raw.push(performance.now() - s); return r; } },
  }));
  const server = await listen(app, '127.0.0.1', 0);
  const sender = alertSender(server.url);
  const run = Date.now().toString(36);
  let n = 0;
  const webhook = async () => { const i = n++; const s = performance.now(); const r = await sender.post({ kind: `W${i}`, title: 'x', severity: 'low', subject: { principal: `w-${run}-${i}` } }); if (r.status !== 202) throw new Error(String(r.status)); t.total.push(performance.now() - s); };
  await pool(200, 32, webhook);
  for (const k of Object.keys(t) as (keyof typeof t)[]) t[k].length = 0;
  const C = Number(process.env.C ?? 32);
  const go = async () => { const m = cpuMeter(); const ms = await pool(1500, C, webhook); const u = m(1500); console.log(`${(1500 / ms * 1000).toFixed(0)}/s here ${u.self.toFixed(2)} server ${u.server?.toFixed(2)}`); };
  if (process.env.APART) await onSeparateCores(go); else await go();
  for (const [k, xs] of Object.entries(t)) console.log(`${k.padEnd(6)} p50 ${pct(xs, 50)} p90 ${pct(xs, 90)} p99 ${pct(xs, 99)} ms`);
  sender.close(); await server.close(); await ledger.close(); await env.teardown();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
