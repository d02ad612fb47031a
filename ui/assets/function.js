// A function's page: its charts over 1h/24h/7d, recent invocations with
// their logs, the live log tail, versions, aliases, instances, scaling,
// schedules and the async queue. The sections that change by themselves
// (charts, invocations, instances, queue) refresh live; forms do not.
import { h, replace, fmtMs, fmtAgo, fmtTime, goDuration } from './dom.js';
import { api, fn } from './api.js';
import { lineChart, legend } from './chart.js';
import { logTail, invocationLogs } from './logs.js';
import { versionsPanel, aliasesPanel, scalingPanel, schedulesPanel, queuePanel } from './panels.js';

const refreshEvery = 5000;

function section(id, title, ...body) {
  return h('section', { id, class: 'panel', 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), ...body);
}

export function functionPage(name, ctx) {
  const { main, flash } = ctx;
  const ctl = new AbortController();
  const signal = ctl.signal;
  const head = h('div', { class: 'fnhead' }, h('h1', {}, name));
  const win = { value: sessionStorage.getItem('lambda.window') || '1h' };
  const statsBox = h('div', { id: 'stats' });
  const invBox = h('div', { id: 'invocations-list' });
  const instBox = h('div', { id: 'instances-list' });
  const tail = logTail(name, ctx);
  const panels = {
    versions: versionsPanel(name, ctx, () => refreshAll()),
    aliases: aliasesPanel(name, ctx),
    scaling: scalingPanel(name, ctx),
    schedules: schedulesPanel(name, ctx),
    queue: queuePanel(name, ctx, () => loadInvocations()),
  };
  const winButtons = h('div', { class: 'seg', role: 'group', 'aria-label': 'Time window' },
    ['1h', '24h', '7d'].map((w) => h('button', { type: 'button', 'data-window': w, 'aria-pressed': String(w === win.value), onclick: (e) => {
      win.value = w;
      sessionStorage.setItem('lambda.window', w);
      for (const b of e.target.parentNode.children) b.setAttribute('aria-pressed', String(b === e.target));
      loadStats();
    } }, w)));
  const logsBox = h('div', { id: 'invocation-logs' });

  replace(main, h('div', { class: 'fnpage' },
    h('p', {}, h('a', { href: '#/' }, '← All functions')),
    head,
    h('nav', { class: 'toc', 'aria-label': 'Sections' }, [['charts', 'Charts'], ['invocations', 'Invocations'], ['logs', 'Logs'],
      ['versions', 'Versions'], ['aliases', 'Aliases'], ['instances', 'Instances'], ['scaling', 'Scaling'], ['schedules', 'Schedules'],
      ['queue', 'Async queue']].map(([id, t]) => h('a', { href: `#/fn/${encodeURIComponent(name)}`, 'data-target': id, onclick: (e) => {
      e.preventDefault();
      const el = document.getElementById(id);
      el.scrollIntoView();
      el.querySelector('h2').setAttribute('tabindex', '-1');
      el.querySelector('h2').focus();
    } }, t))),
    section('charts', 'Latency and counts', winButtons, statsBox),
    section('invocations', 'Recent invocations', invBox, logsBox),
    section('logs', 'Live log tail', tail.el),
    section('versions', 'Versions', panels.versions.el),
    section('aliases', 'Aliases and traffic split', panels.aliases.el),
    section('instances', 'Instances', instBox),
    section('scaling', 'Scaling settings', panels.scaling.el),
    section('schedules', 'Schedules', panels.schedules.el),
    section('queue', 'Async queue and dead letters', panels.queue.el)));

  async function loadHead() {
    const d = await api(fn(name), { signal });
    const active = d.active || {};
    replace(head, h('h1', {}, name),
      h('span', { class: `badge ${d.status}`, id: 'status' }, d.status),
      h('span', { class: 'version', id: 'active-version', 'data-version': active.number }, `v${active.number || '-'}`),
      h('span', { class: 'muted' }, `${(active.config && active.config.runtime) || ''} · updated ${fmtAgo(d.updated_at)} · `),
      h('a', { href: d.url, rel: 'noopener noreferrer', target: '_blank' }, d.url));
    const inst = d.instances || [];
    replace(instBox, inst.length ? h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, ['Instance', 'Version', 'State', 'In flight', 'Served', 'Started'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, inst.map((i) => h('tr', {},
        h('td', { 'data-label': 'Instance' }, h('code', {}, i.id.slice(0, 12))),
        h('td', { 'data-label': 'Version' }, `v${i.version}`),
        h('td', { 'data-label': 'State' }, h('span', { class: `badge ${i.state}` }, i.state || (i.running ? 'running' : 'stopped'))),
        h('td', { 'data-label': 'In flight', class: 'num' }, String(i.inflight)),
        h('td', { 'data-label': 'Served', class: 'num' }, String(i.requests)),
        h('td', { 'data-label': 'Started' }, fmtAgo(i.created_at))))))
      : h('p', { class: 'empty' }, 'No instance runs: the next request starts one (set min_instances below to keep some warm).'));
    panels.scaling.show(d.scaling);
    return d;
  }

  async function loadStats() {
    try {
      const st = await api(`${fn(name)}/stats?window=${win.value}`, { signal });
      const b = st.buckets || [];
      const times = b.map((x) => x.start);
      const lat = [
        { name: 'p50', cls: 's1', values: b.map((x) => (x.timed ? x.p50_ms : null)) },
        { name: 'p95', cls: 's2', values: b.map((x) => (x.timed ? x.p95_ms : null)) },
        { name: 'p99', cls: 's3', values: b.map((x) => (x.timed ? x.p99_ms : null)) },
      ];
      const cnt = [
        { name: 'requests', cls: 's1', values: b.map((x) => (x.invocations ? x.invocations : null)) },
        { name: 'errors', cls: 's4', values: b.map((x) => (x.invocations ? x.errors : null)) },
        { name: 'throttles', cls: 's3', values: b.map((x) => (x.invocations ? x.throttles : null)) },
        { name: 'cold starts', cls: 's2', values: b.map((x) => (x.invocations ? x.cold_starts : null)) },
      ];
      const t = st.total;
      const step = st.step_seconds >= 3600 ? `${st.step_seconds / 3600} h` : `${st.step_seconds / 60} min`;
      replace(statsBox,
        h('dl', { class: 'totals' },
          h('div', {}, h('dt', {}, 'Requests'), h('dd', { id: 'total-requests' }, String(t.invocations))),
          h('div', {}, h('dt', {}, 'Errors'), h('dd', { id: 'total-errors' }, String(t.errors))),
          h('div', {}, h('dt', {}, 'Throttles'), h('dd', {}, String(t.throttles))),
          h('div', {}, h('dt', {}, 'Cold starts'), h('dd', {}, String(t.cold_starts))),
          h('div', {}, h('dt', {}, 'p50 / p95 / p99'), h('dd', {}, t.timed ? `${fmtMs(t.p50_ms)} / ${fmtMs(t.p95_ms)} / ${fmtMs(t.p99_ms)}` : '-'))),
        h('div', { class: 'charts' },
          h('figure', { id: 'latency-chart' }, lineChart({ times, series: lat, fmt: fmtMs, label: `Latency per ${step}, ${win.value}` }),
            h('figcaption', {}, `Latency per ${step}`, legend(lat))),
          h('figure', { id: 'counts-chart' }, lineChart({ times, series: cnt, fmt: (v) => String(Math.round(v * 10) / 10), label: `Counts per ${step}, ${win.value}` }),
            h('figcaption', {}, `Counts per ${step}`, legend(cnt)))),
        t.invocations ? null : h('p', { class: 'empty' }, `No invocation in the last ${win.value}: call the function (\`curl ${location.origin}/fn/${name}\`) and the charts fill within seconds.`));
    } catch (e) {
      if (e.name !== 'AbortError') replace(statsBox, ctx.errorBox(e));
    }
  }

  async function loadInvocations() {
    try {
      const doc = await api(`${fn(name)}/invocations?limit=20`, { signal });
      const list = doc.invocations || [];
      replace(invBox, list.length ? h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, ['Started', 'Trigger', 'Status', 'Duration', 'Cold', 'Version', 'Logs'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, list.map((j) => {
          const cold = (j.attempt_history || []).some((a) => a.cold_start);
          return h('tr', { 'data-invocation': j.id },
            h('td', { 'data-label': 'Started', title: j.id }, fmtTime(j.started_at || j.created_at)),
            h('td', { 'data-label': 'Trigger' }, `${j.trigger}${j.sync ? '' : ' (async)'}`),
            h('td', { 'data-label': 'Status' }, h('span', { class: `badge ${j.status}` }, j.status), j.error_type ? h('span', { class: 'muted' }, ` ${j.error_type}`) : null),
            h('td', { 'data-label': 'Duration', class: 'num' }, j.duration ? fmtMs(goDuration(j.duration)) : '-'),
            h('td', { 'data-label': 'Cold' }, cold ? 'cold' : ''),
            h('td', { 'data-label': 'Version' }, j.version ? `v${j.version}` : '-'),
            h('td', { 'data-label': 'Logs' }, h('button', { type: 'button', class: 'link', onclick: () => invocationLogs(name, j, logsBox, ctx) }, 'Logs')));
        })))
        : h('p', { class: 'empty' }, 'No invocation recorded yet.'));
    } catch (e) {
      if (e.name !== 'AbortError') replace(invBox, ctx.errorBox(e));
    }
  }

  let timer = null;
  async function refreshAll() {
    clearTimeout(timer);
    if (document.hidden) {
      document.addEventListener('visibilitychange', refreshAll, { once: true });
      return;
    }
    try {
      await loadHead();
      flash(null);
    } catch (e) {
      if (e.name === 'AbortError') return;
      flash(e);
    }
    await Promise.all([loadStats(), loadInvocations(), panels.queue.load(), panels.aliases.load(), panels.versions.load()]);
    if (!signal.aborted) timer = setTimeout(refreshAll, refreshEvery);
  }
  panels.schedules.load();
  refreshAll();
  return () => { ctl.abort(); clearTimeout(timer); document.removeEventListener('visibilitychange', refreshAll); tail.stop(); for (const p of Object.values(panels)) if (p.stop) p.stop(); };
}
