// The demo page: reads the controls (or the same names from the URL: ?steps=60&workers=2&auto=1), starts
// one trainer worker per run (with noise, without), draws their curves as the steps arrive, and shows
// examples/s and the final weights hash. The page itself never trains: its thread only draws, and a
// heartbeat measures that it stays free (the longest pause between 20 ms ticks while training).
const $ = (s) => document.querySelector(s);
const form = $('#controls'), status = $('#status');
const COLORS = { noise: '#e0702a', plain: '#2f5fd0' };

// The controls, overridden by URL parameters of the same names (the browser tests use them).
const params = new URLSearchParams(location.search);
for (const [k, v] of params) {
  const el = form.elements.namedItem(k);
  if (!el) continue;
  if (el.type === 'checkbox') el.checked = v === '1' || v === 'true';
  else el.value = v;
}

const isolated = self.crossOriginIsolated === true;
$('#isolation').textContent = isolated
  ? 'Cross-origin isolated: each run trains on its own Web Workers over one shared memory.'
  : 'This page is not cross-origin isolated (no SharedArrayBuffer): each run trains on one Web Worker, with the single-threaded build. The weights are the same bits.';
if (!isolated) $('#isolation').classList.add('fallback');

// ---------------------------------------------------------------- charts

const runs = { noise: null, plain: null };
let draws = 0, drawsWhileTraining = 0;

function plot(canvas, series, { yMin, yMax, xMax, yLabel }) {
  const g = canvas.getContext('2d'), W = canvas.width, H = canvas.height, L = 46, B = 24, T = 8, R = 10;
  g.clearRect(0, 0, W, H);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#5b6475';
  g.strokeStyle = '#e3e7ef';
  const x = (v) => L + (v / Math.max(1, xMax)) * (W - L - R);
  const y = (v) => T + (1 - (Math.min(Math.max(v, yMin), yMax) - yMin) / (yMax - yMin)) * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4;
    g.beginPath(); g.moveTo(L, y(v)); g.lineTo(W - R, y(v)); g.stroke();
    g.fillText(yLabel(v), 4, y(v) + 4);
  }
  g.fillText('0', L, H - 6);
  g.fillText(`step ${xMax}`, W - R - 56, H - 6);
  for (const [name, points] of Object.entries(series)) {
    if (points.length === 0) continue;
    g.strokeStyle = COLORS[name];
    g.lineWidth = 1.8;
    g.beginPath();
    points.forEach(([px, py], i) => (i ? g.lineTo(x(px), y(py)) : g.moveTo(x(px), y(py))));
    g.stroke();
    g.lineWidth = 1;
    g.strokeStyle = '#e3e7ef';
  }
}

let drawQueued = false;
function draw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    const active = Object.entries(runs).filter(([, r]) => r);
    const xMax = Math.max(1, ...active.map(([, r]) => r.config.steps));
    const lossMax = Math.max(0.5, ...active.flatMap(([, r]) => r.loss.slice(0, 20).map(([, l]) => l)));
    plot($('#loss'), Object.fromEntries(active.map(([n, r]) => [n, r.loss])), { yMin: 0, yMax: Math.min(lossMax, 5), xMax, yLabel: (v) => v.toFixed(1) });
    plot($('#accuracy'), Object.fromEntries(active.map(([n, r]) => [n, r.accuracy])), { yMin: 0, yMax: 1, xMax, yLabel: (v) => `${Math.round(v * 100)}%` });
    draws++;
    if (training) drawsWhileTraining++;
    Object.assign(document.body.dataset, { draws: String(draws), drawsWhileTraining: String(drawsWhileTraining) });
  });
}

// ---------------------------------------------------------------- runs

function config() {
  const f = form.elements, num = (n) => Number(f.namedItem(n).value);
  return {
    init: f.namedItem('init').value, lr: num('lr'), clip: num('clip'), eta: num('eta'), gamma: num('gamma'), seed: num('seed'),
    workers: num('workers'), steps: num('steps'), limit: num('limit'), testLimit: Number(params.get('testLimit') ?? 10000),
    depth: Number(params.get('depth') ?? 20), width: Number(params.get('width') ?? 50), batchSize: 100,
  };
}

function start(name, c) {
  return new Promise((resolve, reject) => {
    const row = $(`#run-${name}`), cell = (k) => row.querySelector(`.${k}`);
    const run = runs[name] = { config: c, loss: [], accuracy: [[0, 0.1]], smooth: null, worker: new Worker(new URL('./trainer.js', import.meta.url), { type: 'module', name: `trainer-${name}` }) };
    run.worker.onmessage = ({ data: m }) => {
      if (m.type === 'start') {
        run.workers = m.workers;
        document.body.dataset[`${name}Workers`] = String(m.workers);
        cell('step').textContent = `0 / ${c.steps}`;
        cell('speed').textContent = m.workers > 0 ? `${m.workers} workers` : '1 worker (single build)';
      } else if (m.type === 'steps') {
        training = true;
        for (const s of m.steps) {
          run.smooth = run.smooth === null ? s.loss : 0.9 * run.smooth + 0.1 * s.loss;
          run.loss.push([s.step, run.smooth]);
        }
        document.body.dataset.lossPoints = String(Object.values(runs).reduce((n, r) => n + (r?.loss.length ?? 0), 0));
        const s = m.steps[m.steps.length - 1];
        cell('step').textContent = `${s.step} / ${c.steps}`;
        cell('loss').textContent = run.smooth.toFixed(3);
        draw();
      } else if (m.type === 'epoch') {
        run.accuracy.push([m.step, m.testAccuracy]);
        cell('acc').textContent = `${(100 * m.testAccuracy).toFixed(2)}%`;
        draw();
      } else if (m.type === 'done') {
        training = false;
        cell('speed').textContent = `${Math.round(m.examplesPerSecond).toLocaleString('en')} (${run.workers > 0 ? `${run.workers} workers` : '1 worker'})`;
        cell('acc').textContent = `${(100 * m.testAccuracy).toFixed(2)}%`;
        cell('hash').textContent = m.hash;
        row.dataset.hash = m.hash;
        row.dataset.examplesPerSecond = String(m.examplesPerSecond);
        row.dataset.startupSeconds = String(m.startupSeconds);
        run.worker.terminate();
        resolve(m);
      } else if (m.type === 'error') {
        run.worker.terminate();
        reject(new Error(`${name} run: ${m.message}`));
      }
    };
    run.worker.onerror = (e) => { e.preventDefault(); reject(new Error(`${name} run: ${e.message || 'the trainer worker failed to start'}`)); };
    run.worker.postMessage({ ...c, noise: name === 'noise' });
  });
}

// The page thread while the runs train (from their first steps to the end of the first run to finish;
// start-up, with its fetches and compiles, is not training): the longest gap between 20 ms ticks, and the
// longest task it ran (the Long Tasks API reports every task over 50 ms). Training on this thread would
// show as long tasks; the gaps also grow when the machine is busy, which says nothing about the page.
let longest = 0, longestTask = 0, lastTick = 0, beating = null, training = false;
const showHeartbeat = () => {
  Object.assign(document.body.dataset, { longestPause: String(Math.round(longest)), longestTask: String(Math.round(longestTask)) });
  $('#heartbeat').textContent = `Page thread while training: longest pause between 20 ms ticks ${Math.round(longest)} ms; ` +
    (longestTask > 0 ? `longest task ${Math.round(longestTask)} ms.` : 'no task over 50 ms.');
};
if (PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
  document.body.dataset.longTasksObserved = 'yes';
  new PerformanceObserver((list) => {
    if (!training) return;
    for (const e of list.getEntries()) longestTask = Math.max(longestTask, e.duration);
    showHeartbeat();
  }).observe({ type: 'longtask' });
}
function heartbeat(on) {
  if (on) {
    longest = longestTask = 0;
    lastTick = performance.now();
    beating = setInterval(() => {
      const now = performance.now();
      if (training) longest = Math.max(longest, now - lastTick);
      lastTick = now;
      showHeartbeat();
    }, 20);
  } else clearInterval(beating);
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const c = config();
  $('#start').disabled = true;
  status.dataset.state = 'running';
  status.textContent = `Training ${c.steps} steps, with and without noise...`;
  for (const row of document.querySelectorAll('#results tbody tr')) {
    for (const td of row.querySelectorAll('td')) td.textContent = '-';
    delete row.dataset.hash;
  }
  heartbeat(true);
  try {
    const withNoise = form.elements.namedItem('noise').checked;
    // ?only=noise trains the noise run alone (bench/runtimes.mjs times it without a second run beside it).
    const alone = params.get('only') === 'noise';
    runs.noise = runs.plain = null;
    const done = await Promise.all([...(withNoise || alone ? [start('noise', c)] : []), ...(alone ? [] : [start('plain', c)])]);
    status.dataset.state = 'done';
    status.textContent = `Done: ${done.map((d) => `${d.steps} steps in ${d.seconds.toFixed(1)} s` +
      (d.startupSeconds === null ? '' : ` (first step after ${d.startupSeconds.toFixed(2)} s)`)).join(', ')}.`;
  } catch (err) {
    status.dataset.state = 'error';
    status.textContent = err.message;
  } finally {
    heartbeat(false);
    $('#start').disabled = false;
  }
});

draw();
if (params.get('auto') === '1') form.requestSubmit();
