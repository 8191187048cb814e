/**
 * conf/prometheus/tssentinel-alerts.yml and conf/grafana/tssentinel-dashboard.json
 * (issue 10, item 5): they parse, every rule has what Alertmanager needs, and
 * every metric they query is one tssentinel really exposes — checked against
 * the exposition of a SentinelMetrics registry, not a hand-kept list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import { stateFromConfig } from '../../src/core/sentinel.js';
import { SentinelMetrics } from '../../src/metrics/metrics.js';
import type { Runtime } from '../../src/runtime.js';
import type { RespServer } from '../../src/server/server.js';

const ROOT = join(__dirname, '../..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

/** Metric family names in a Prometheus exposition text. */
async function exposedNames(): Promise<Set<string>> {
  const state = stateFromConfig(parseConfig('sentinel monitor mymaster 127.0.0.1 6379 2\n'), 'a'.repeat(40), 1_000);
  const rt = { state, eventListeners: [], nowMs: () => 2_000 } as unknown as Runtime;
  const server = { clientCount: () => 0, commandCounts: new Map([['ping', 1]]) } as unknown as RespServer;
  const text = await new SentinelMetrics(rt, server).registry.metrics();
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]!);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m[1]}${s}`);
  }
  return names;
}

/** Metric names in a PromQL expression: identifiers outside {labels} and by(...), not followed by "(" (functions). */
function metricsIn(expr: string): string[] {
  const text = expr.replace(/\{[^}]*\}/g, ' ').replace(/\b(by|without)\s*\([^)]*\)/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  const keywords = new Set(['or', 'and', 'unless', 'bool', 'offset']);
  const names: string[] = [];
  for (const m of text.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = text.slice((m.index ?? 0) + m[0].length).trimStart();
    if (!after.startsWith('(') && !keywords.has(m[0])) names.push(m[0]);
  }
  return names;
}

interface Rule { alert: string; expr: string; for?: string; labels: { severity: string }; annotations: { summary: string; description: string } }

describe('the PromQL metric-name extraction used below', () => {
  it('finds the metrics and nothing else', () => {
    expect(metricsIn('max by (master) (sentinel_master_odown) == 1')).toEqual(['sentinel_master_odown']);
    expect(metricsIn('max by (master) (increase(sentinel_events_total{event="+switch-master"}[10m])) > 0')).toEqual(['sentinel_events_total']);
    expect(metricsIn('count(min by (master) (bogus_metric) == 0) or vector(0)')).toEqual(['bogus_metric']);
    expect(metricsIn('sum by (event) (rate(sentinel_events_total[5m])) * 60')).toEqual(['sentinel_events_total']);
  });
});

describe('Prometheus alert rules', () => {
  const rules = (parse(read('conf/prometheus/tssentinel-alerts.yml')) as { groups: Array<{ name: string; rules: Rule[] }> })
    .groups.flatMap((g) => g.rules);

  it('cover master down, no quorum, TILT, failover happened and link down, each complete', () => {
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining([
      'SentinelMasterDown', 'SentinelNoQuorum', 'SentinelTilt', 'SentinelFailoverHappened', 'SentinelLinkDown',
    ]));
    for (const r of rules) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary.length, r.alert).toBeGreaterThan(0);
      expect(r.expr.length, r.alert).toBeGreaterThan(0);
    }
  });

  it('query only metrics tssentinel exposes (and Prometheus\'s own `up`)', async () => {
    const names = await exposedNames();
    names.add('up');
    for (const r of rules) {
      expect(metricsIn(r.expr).length, r.alert).toBeGreaterThan(0);
      for (const m of metricsIn(r.expr)) expect(names.has(m), `${r.alert}: ${m}`).toBe(true);
    }
  });
});

describe('Grafana dashboard', () => {
  const dash = JSON.parse(read('conf/grafana/tssentinel-dashboard.json')) as {
    uid: string; panels: Array<{ id: number; title: string; targets: Array<{ expr: string }> }>;
  };

  it('has unique panel ids and a query in every panel', () => {
    expect(new Set(dash.panels.map((p) => p.id)).size).toBe(dash.panels.length);
    for (const p of dash.panels) expect(p.targets.length, p.title).toBeGreaterThan(0);
  });

  it('queries only metrics tssentinel exposes', async () => {
    const names = await exposedNames();
    for (const p of dash.panels) {
      for (const t of p.targets) {
        expect(metricsIn(t.expr).length, p.title).toBeGreaterThan(0);
        for (const m of metricsIn(t.expr)) expect(names.has(m), `${p.title}: ${m}`).toBe(true);
      }
    }
  });
});
