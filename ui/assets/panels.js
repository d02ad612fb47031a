// The function page's panels that act: versions (rollback), aliases
// (traffic split), scaling settings, schedules and the async queue
// (redrive). Each redraws only when what it shows changed, so a live
// refresh never takes the keyboard focus away from a button.
import { h, replace, fmtAgo, fmtTime, fmtPct } from './dom.js';
import { api, fn } from './api.js';
import { aliasList } from './overview.js';

// drawer returns a function that redraws box with draw(data) only when
// data differs from what is shown, and, unless forced (after the user's
// own action), not while the focus is in it: a refresh must not take away
// the control the user is on or the value half typed in.
function drawer(box, draw) {
  let last = null;
  return (data, force) => {
    const j = JSON.stringify(data);
    if (!force && (j === last || box.contains(document.activeElement))) return;
    last = j;
    draw(data);
  };
}

function note(box, text) {
  replace(box, h('p', { class: 'ok', role: 'status' }, text));
}

export function versionsPanel(name, ctx, changed) {
  const list = h('div', { id: 'versions-list' });
  const msg = h('div', { id: 'versions-msg' });
  const draw = drawer(list, (versions) => replace(list, h('table', { class: 'list' },
    h('thead', {}, h('tr', {}, ['Version', 'Deployed', 'Image', 'State', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, versions.map((v) => h('tr', { 'data-version': v.number },
      h('td', { 'data-label': 'Version' }, `v${v.number}`),
      h('td', { 'data-label': 'Deployed' }, fmtTime(v.created_at)),
      h('td', { 'data-label': 'Image' }, h('code', {}, v.image)),
      h('td', { 'data-label': 'State' }, v.active ? h('span', { class: 'badge ready' }, 'active') : v.pruned ? h('span', { class: 'muted' }, 'pruned') : ''),
      h('td', {}, v.active || v.pruned ? '' : h('button', { type: 'button', class: 'rollback', 'data-version': v.number, onclick: (e) => rollback(v.number, e.target) }, `Roll back to v${v.number}`))))))));

  async function rollback(n, button) {
    button.disabled = true;
    replace(msg, h('p', { class: 'muted' }, `Rolling back to v${n}: warming its instances…`));
    try {
      const d = await api(`${fn(name)}/rollback`, { method: 'POST', body: { version: n } });
      note(msg, `v${d.active.number} now serves ${name}.`);
      await load(true);
      changed();
    } catch (e) {
      replace(msg, ctx.errorBox(e));
      button.disabled = false;
    }
  }
  async function load(force) {
    try {
      const doc = await api(`${fn(name)}/versions`);
      draw((doc.versions || []).slice().reverse(), force);
    } catch (e) {
      if (e.name !== 'AbortError') replace(list, ctx.errorBox(e));
    }
  }
  return { el: h('div', {}, list, msg), load };
}

export function aliasesPanel(name, ctx) {
  const list = h('div', { id: 'aliases-list' });
  const msg = h('div', { id: 'aliases-msg' });
  const draw = drawer(list, (aliases) => {
    if (aliases === null) {
      replace(list, h('p', { class: 'empty' }, 'This server has no aliases: upgrade it to split traffic between versions.'));
      return;
    }
    replace(list, aliases.length ? aliases.map(aliasForm) : h('p', { class: 'empty' }, 'No alias but the function\'s own.'));
  });

  function aliasForm(a) {
    const pct = Math.round((a.weight || 0) * 100);
    const extra = h('input', { type: 'number', min: 1, name: 'additional_version', value: a.additional_version || '', 'aria-label': `Second version of ${a.name}`, class: 'small' });
    const out = h('output', {}, `${pct}%`);
    const slider = h('input', { type: 'range', min: 0, max: 100, step: 1, value: pct, name: 'weight', 'aria-label': `Share of ${a.name}'s traffic to the second version`,
      oninput: () => { out.textContent = `${slider.value}%`; } });
    const main = h('input', { type: 'number', min: 1, name: 'version', value: a.version, 'aria-label': `Version of ${a.name}`, class: 'small' });
    return h('form', { class: 'alias', 'data-alias': a.name, onsubmit: async (e) => {
      e.preventDefault();
      const body = { version: Number(main.value) };
      const w = Number(slider.value) / 100;
      if (extra.value && w > 0) Object.assign(body, { additional_version: Number(extra.value), weight: w });
      try {
        await api(`${fn(name)}/aliases/${encodeURIComponent(a.name)}`, { method: 'PUT', body });
        note(msg, body.weight ? `${a.name}: ${fmtPct(1 - w)} to v${body.version}, ${fmtPct(w)} to v${body.additional_version}.` : `${a.name}: all traffic to v${body.version}.`);
        load(true);
      } catch (err) {
        replace(msg, ctx.errorBox(err));
      }
    } },
    h('strong', {}, a.name), ' → v', main, ' and v', extra, ' gets ', slider, out,
    h('button', { type: 'submit' }, 'Save'));
  }

  const newName = h('input', { id: 'alias-name', name: 'name', required: true, placeholder: 'e.g. beta', 'aria-label': 'New alias name', class: 'small' });
  const newVersion = h('input', { id: 'alias-version', name: 'version', type: 'number', min: 1, required: true, 'aria-label': 'Its version', class: 'small' });
  const add = h('form', { class: 'alias', id: 'alias-new', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const a = await api(`${fn(name)}/aliases/${encodeURIComponent(newName.value.trim())}`, { method: 'PUT', body: { version: Number(newVersion.value) } });
      note(msg, `Alias ${a.name} points at v${a.version}: ${a.name}--${name} and /fn/${name}@${a.name} reach it.`);
      newName.value = '';
      newVersion.value = '';
      load(true);
    } catch (err) {
      replace(msg, ctx.errorBox(err));
    }
  } }, h('strong', {}, 'New alias'), newName, ' → v', newVersion, h('button', { type: 'submit' }, 'Create'));

  async function load(force) {
    try {
      draw(aliasList(await api(`${fn(name)}/aliases`)), force);
      add.hidden = false;
    } catch (e) {
      if (e.status === 501 || (e.status === 404 && /no route/.test(e.message))) {
        draw(null);
        add.hidden = true;
      } else if (e.name !== 'AbortError') replace(list, ctx.errorBox(e));
    }
  }
  return { el: h('div', {}, list, add, msg), load };
}

// scalingFields are the settings the form edits: [key, label, type, help].
const scalingFields = [
  ['concurrency', 'Concurrency per instance', 'number', 'requests one instance serves at once'],
  ['min_instances', 'Min instances', 'number', 'kept warm at all times'],
  ['max_instances', 'Max instances', 'number', ''],
  ['reserved_concurrency', 'Reserved concurrency', 'number', 'cap on concurrent requests; -1 removes it, 0 disables'],
  ['idle_timeout', 'Idle timeout', 'text', 'e.g. 30s, 5m'],
  ['start_timeout', 'Start timeout', 'text', '1s-15m'],
  ['max_retries', 'Async max retries', 'number', '0-2'],
  ['retry_delay', 'Async retry delay', 'text', '1s-1h'],
  ['max_event_age', 'Async max event age', 'text', '1m-6h'],
  ['async_concurrency', 'Async concurrency', 'number', '0: the whole capacity'],
];

export function scalingPanel(name, ctx) {
  const msg = h('div', { id: 'scaling-msg' });
  const inputs = {};
  let shown = null;
  const form = h('form', { id: 'scaling-form', class: 'grid', onsubmit: async (e) => {
    e.preventDefault();
    const patch = {};
    for (const [k, , type] of scalingFields) {
      const v = inputs[k].value.trim();
      if (v === '' || v === String(shown[k] ?? '')) continue;
      patch[k] = type === 'number' ? Number(v) : v;
    }
    if (!Object.keys(patch).length) {
      note(msg, 'Nothing changed.');
      return;
    }
    try {
      const d = await api(`${fn(name)}/scaling`, { method: 'PATCH', body: patch });
      shown = null;
      show(d.scaling);
      note(msg, `Saved: ${Object.keys(patch).join(', ')}.`);
    } catch (err) {
      replace(msg, ctx.errorBox(err));
    }
  } },
  scalingFields.map(([k, label, type, help]) => {
    inputs[k] = h('input', { id: `scaling-${k}`, name: k, type, ...(type === 'number' ? { min: k === 'reserved_concurrency' ? -1 : 0 } : {}) });
    return h('label', {}, h('span', {}, label), inputs[k], help ? h('small', { class: 'muted' }, help) : null);
  }),
  h('button', { type: 'submit' }, 'Save settings'));

  // show fills the form from the settings in force, unless the user is
  // editing it.
  function show(sc) {
    if (!sc || (shown && form.contains(document.activeElement))) return;
    shown = sc;
    for (const [k] of scalingFields) inputs[k].value = sc[k] ?? '';
  }
  return { el: h('div', {}, form, msg), show };
}

export function schedulesPanel(name, ctx) {
  const box = h('div', { id: 'schedules-list' });
  async function load() {
    try {
      const doc = await api(`/schedules?function=${encodeURIComponent(name)}`);
      const list = doc.schedules || [];
      replace(box, list.length ? h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, ['Cron', 'Time zone', 'Overlap', 'Next run', 'Last run', 'ID'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, list.map((s) => h('tr', {},
          h('td', { 'data-label': 'Cron' }, h('code', {}, s.cron)), h('td', { 'data-label': 'Time zone' }, s.timezone),
          h('td', { 'data-label': 'Overlap' }, s.overlap), h('td', { 'data-label': 'Next run' }, fmtAgo(s.next_run_at)),
          h('td', { 'data-label': 'Last run' }, s.last_run_at ? fmtAgo(s.last_run_at) : 'never'), h('td', {}, h('code', {}, s.id))))))
        : h('p', { class: 'empty' }, `No schedule: \`lambda schedule ${name} --cron "*/5 * * * *"\` adds one.`));
    } catch (e) {
      replace(box, ctx.errorBox(e));
    }
  }
  return { el: box, load };
}

export function queuePanel(name, ctx, changed) {
  const counts = h('dl', { class: 'totals', id: 'queue-counts' });
  const dead = h('div', { id: 'dead-letters' });
  const msg = h('div', { id: 'queue-msg' });
  const draw = drawer(dead, (jobs) => replace(dead, jobs.length ? [
    h('div', { class: 'bar' }, h('h3', {}, `Dead letters (${jobs.length}${jobs.length === 100 ? '+' : ''})`),
      h('button', { type: 'button', id: 'redrive-all', onclick: () => redrive({ all: true }) }, 'Redrive all')),
    h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, ['Queued', 'Attempts', 'Error', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, jobs.map((j) => h('tr', { 'data-invocation': j.id },
        h('td', { 'data-label': 'Queued', title: j.id }, fmtTime(j.created_at)),
        h('td', { 'data-label': 'Attempts', class: 'num' }, String(j.attempts)),
        h('td', { 'data-label': 'Error' }, `${j.error_type || ''} ${j.error_message || ''}`),
        h('td', {}, h('button', { type: 'button', class: 'redrive', onclick: () => redrive({ ids: [j.id] }) }, 'Redrive'))))))]
    : h('p', { class: 'empty' }, 'No dead letter.')));

  async function redrive(body) {
    try {
      const r = await api(`${fn(name)}/redrive`, { method: 'POST', body });
      note(msg, `${r.redriven.length} invocation(s) queued again.`);
      await load(true);
      changed();
    } catch (e) {
      replace(msg, ctx.errorBox(e));
    }
  }
  async function load(force) {
    try {
      const statuses = ['queued', 'running', 'retrying', 'dead'];
      const lists = await Promise.all(statuses.map((s) => api(`${fn(name)}/invocations?status=${s}&limit=100`)));
      replace(counts, statuses.map((s, i) => {
        const n = (lists[i].invocations || []).length;
        return h('div', {}, h('dt', {}, s), h('dd', { 'data-status': s }, `${n}${n === 100 ? '+' : ''}`));
      }));
      draw(lists[3].invocations || [], force);
    } catch (e) {
      if (e.name !== 'AbortError') replace(counts, ctx.errorBox(e));
    }
  }
  return { el: h('div', {}, counts, dead, msg), load };
}
