// The overview: every function with its status, active version and
// aliases, instances, requests per minute, error rate and p95 over the
// last hour; sorted and filtered; refreshed live.
import { h, replace, fmtMs, fmtPct } from './dom.js';
import { api, fn } from './api.js';
import { sparkline } from './chart.js';

const refreshEvery = 5000;

// pool runs f over items, at most n at once.
async function pool(items, n, f) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  }));
  return out;
}

// row gathers one function's line: its detail, last hour and aliases.
// A part that fails leaves its cells empty rather than the whole row.
async function row(summary, signal) {
  const [detail, stats, aliases] = await Promise.all([
    api(fn(summary.name), { signal }).catch(() => null),
    api(`${fn(summary.name)}/stats?window=1h`, { signal }).catch(() => null),
    api(`${fn(summary.name)}/aliases`, { signal }).catch(() => null),
  ]);
  const inst = (detail && detail.instances) || [];
  const buckets = (stats && stats.buckets) || [];
  // Requests per minute: the last five minutes, the current one included.
  const recent = buckets.slice(-5);
  const total = (stats && stats.total) || { invocations: 0, errors: 0 };
  return {
    name: summary.name,
    status: summary.status,
    version: summary.version,
    runtime: summary.runtime,
    aliases: aliasList(aliases),
    warm: inst.filter((i) => i.state === 'idle' || i.state === 'busy').length,
    busy: inst.filter((i) => i.state === 'busy').length,
    rpm: recent.reduce((a, b) => a + b.invocations, 0) / Math.max(1, recent.length),
    errorRate: total.invocations ? total.errors / total.invocations : 0,
    invocations: total.invocations,
    p95: buckets.map((b) => (b.timed ? b.p95_ms : null)),
    p95Total: total.p95_ms || 0,
  };
}

export function aliasList(doc) {
  if (!doc) return [];
  return Array.isArray(doc) ? doc : doc.aliases || [];
}

const columns = [
  ['name', 'Function'], ['status', 'Status'], ['version', 'Version'], ['aliases', 'Aliases'],
  ['warm', 'Instances (warm/busy)'], ['rpm', 'Req/min'], ['errorRate', 'Errors (1h)'], ['p95Total', 'p95 (1h)'],
];

export function overview({ main, flash }) {
  const ctl = new AbortController();
  const state = { rows: [], sort: sessionStorage.getItem('lambda.sort') || 'name', desc: false, filter: '' };
  const filter = h('input', { id: 'filter', type: 'search', placeholder: 'Filter by name, status or runtime', 'aria-label': 'Filter functions',
    oninput: () => { state.filter = filter.value.trim().toLowerCase(); draw(); } });
  const live = h('input', { id: 'live', type: 'checkbox', checked: true });
  const updated = h('span', { class: 'muted', id: 'updated' });
  const table = h('div', { id: 'functions' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, h('section', {},
    h('div', { class: 'bar' }, h('h1', {}, 'Functions'), filter,
      h('label', { class: 'toggle' }, live, ' Live'), updated),
    table));

  function sorted() {
    const k = state.sort;
    const rows = state.rows.filter((r) => !state.filter ||
      [r.name, r.status, r.runtime, ...r.aliases.map((a) => a.name)].some((v) => String(v).toLowerCase().includes(state.filter)));
    rows.sort((a, b) => {
      const x = k === 'aliases' ? a.aliases.length : a[k];
      const y = k === 'aliases' ? b.aliases.length : b[k];
      const c = typeof x === 'string' ? x.localeCompare(y) : x - y;
      return state.desc ? -c : c;
    });
    return rows;
  }

  function header() {
    return h('tr', {}, columns.map(([k, label]) => h('th', { scope: 'col', 'aria-sort': state.sort === k ? (state.desc ? 'descending' : 'ascending') : 'none' },
      h('button', { type: 'button', class: 'sort', 'data-sort': k, onclick: () => {
        state.desc = state.sort === k ? !state.desc : false;
        state.sort = k;
        sessionStorage.setItem('lambda.sort', k);
        draw();
        table.querySelector(`[data-sort="${k}"]`).focus();
      } }, label, state.sort === k ? (state.desc ? ' ▼' : ' ▲') : ''))),
    h('th', { scope: 'col' }, 'p95, last hour'));
  }

  function draw() {
    const rows = sorted();
    if (!state.rows.length) {
      replace(table, h('p', { class: 'empty' }, 'No functions yet: deploy one with `lambda deploy DIR` (or `lambda init hello && lambda deploy hello`).'));
      return;
    }
    replace(table, h('table', { class: 'list' },
      h('thead', {}, header()),
      h('tbody', {}, rows.map((r) => h('tr', { 'data-function': r.name },
        h('td', { 'data-label': 'Function' }, h('a', { href: `#/fn/${encodeURIComponent(r.name)}` }, r.name), h('span', { class: 'muted' }, ` ${r.runtime}`)),
        h('td', { 'data-label': 'Status' }, h('span', { class: `badge ${r.status}` }, r.status)),
        h('td', { 'data-label': 'Version', class: 'version' }, `v${r.version}`),
        h('td', { 'data-label': 'Aliases' }, r.aliases.length ? r.aliases.map((a) => h('span', { class: 'chip' },
          `${a.name}→v${a.version}${a.additional_version ? ` +v${a.additional_version} ${fmtPct(a.weight)}` : ''}`)) : h('span', { class: 'muted' }, '-')),
        h('td', { 'data-label': 'Instances', class: 'num' }, `${r.warm}/${r.busy}`),
        h('td', { 'data-label': 'Req/min', class: 'num rpm' }, r.rpm.toFixed(r.rpm < 10 ? 1 : 0)),
        h('td', { 'data-label': 'Errors', class: `num ${r.errorRate > 0 ? 'bad' : ''}` }, r.invocations ? fmtPct(r.errorRate) : '-'),
        h('td', { 'data-label': 'p95', class: 'num' }, r.invocations ? fmtMs(r.p95Total) : '-'),
        h('td', { 'data-label': 'p95 trend' }, sparkline(r.p95, `p95 latency of ${r.name} per minute over the last hour`)))))),
    rows.length < state.rows.length ? h('p', { class: 'muted' }, `${state.rows.length - rows.length} hidden by the filter.`) : null);
  }

  let timer = null;
  async function load() {
    // A hidden tab asks nothing: each refresh costs the server three
    // requests a function. It catches up when shown again.
    if (document.hidden) {
      document.addEventListener('visibilitychange', load, { once: true });
      return;
    }
    try {
      const list = await api('/functions', { signal: ctl.signal });
      state.rows = await pool(list.functions || [], 6, (s) => row(s, ctl.signal));
      flash(null);
      draw();
      updated.textContent = `updated ${new Date().toLocaleTimeString(undefined, { hour12: false })}`;
    } catch (e) {
      if (e.name !== 'AbortError') flash(e);
    }
    if (!ctl.signal.aborted && live.checked) timer = setTimeout(load, refreshEvery);
  }
  live.addEventListener('change', () => { clearTimeout(timer); if (live.checked) load(); });
  load();
  return () => { ctl.abort(); clearTimeout(timer); document.removeEventListener('visibilitychange', load); };
}
