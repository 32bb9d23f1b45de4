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

// ---------------------------------------------------------------- what to expect

// The defaults (index.html) and what they show, measured over seeds 1-10 on the real MNIST by
// bench/demo-defaults.mjs (bench/measured/demo-defaults.txt). The page quotes these figures only for
// these settings; for others it can only say when the curves part, once they do.
const MEASURED = { init: 'simple', lr: 0.1, clip: 10, eta: 0.03, gamma: 0.55, limit: 60000, depth: 20, width: 50 };
const PARTS = { typical: 850, low: 725, high: 964, steps: 2000, accuracy: '62-88%' };
const PART_BY = 0.1; // the curves have parted when the noise run's smoothed loss is this far below the other's

function expectation(c, withNoise) {
  if (!withNoise) return 'Only the run without noise trains (the noise run is switched off).';
  if (c.init === 'he' || c.init === 'sussilloAbbott') {
    return 'A well initialised net learns with or without noise: the paper found that noise then makes no real difference (its Table 1, rows 4 and 5).';
  }
  const measured = Object.entries(MEASURED).every(([k, v]) => c[k] === v);
  if (!measured) {
    return 'These settings differ from the measured defaults, so the page cannot say in advance when the two curves part; ' +
      'it will say so when they do. With the defaults noise rescues this net after about ' +
      `${PARTS.typical} steps; with the paper's η = 0.01 at lr 0.1 it takes several thousand.`;
  }
  const short = c.steps < PARTS.high ? ` With only ${c.steps} steps this run may end before that.` : '';
  return 'What to expect: without noise this 20-layer net never leaves 11% test accuracy (what always answering "1" scores), and its ' +
    'loss stays at 2.30 (ln 10, an even guess over the ten digits): the poor init, N(0, 0.1²), shrinks the signal and its gradient ' +
    `at every layer. With noise it starts learning after about ${PARTS.typical} steps (${PARTS.low}-${PARTS.high} over seeds 1-10) and ` +
    `reaches ${PARTS.accuracy} test accuracy by step ${PARTS.steps.toLocaleString('en')}. This uses η = 0.03; with the paper's ` +
    `η = 0.01 the rescue takes several thousand steps.${short}`;
}

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
    const run = runs[name] = { config: c, loss: [], smoothAt: [], accuracy: [[0, 0.1]], smooth: null, worker: new Worker(new URL('./trainer.js', import.meta.url), { type: 'module', name: `trainer-${name}` }) };
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
          run.smoothAt[s.step] = run.smooth;
        }
        checkParted();
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
        run.time = m.time;
        // The final test accuracy closes the curve (an epoch cut by the end of the run has no test point).
        if (run.accuracy[run.accuracy.length - 1][0] < m.steps) run.accuracy.push([m.steps, m.testAccuracy]);
        draw();
        document.body.dataset[`${name}Time`] = JSON.stringify(m.time);
        document.body.dataset[`${name}Accuracy`] = String(m.testAccuracy);
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

// The first step at which the noise run's smoothed loss lies PART_BY below the other run's, and how long
// after the press the page knew it (both runs must have reached that step).
let pressedAt = 0, checkedTo = 0, parted = null;
function checkParted() {
  if (parted || !runs.noise || !runs.plain) return;
  const upTo = Math.min(runs.noise.smoothAt.length, runs.plain.smoothAt.length) - 1;
  for (let t = checkedTo + 1; t <= upTo; t++) {
    if (runs.noise.smoothAt[t] <= runs.plain.smoothAt[t] - PART_BY) {
      parted = { step: t, seconds: (performance.now() - pressedAt) / 1000 };
      Object.assign(document.body.dataset, { partedStep: String(t), partedSeconds: parted.seconds.toFixed(2) });
      $('#parted').textContent = `The curves parted at step ${t.toLocaleString('en')} (the noise run's smoothed loss ${PART_BY} below the other's), ` +
        `${parted.seconds.toFixed(1)} s after Train was pressed.`;
      return;
    }
  }
  checkedTo = Math.max(checkedTo, upTo);
}

const secs = (v) => `${v.toFixed(1)} s`;
function showTime(wall) {
  const t = (runs.noise ?? runs.plain)?.time;
  if (!t) return;
  const steps = (runs.noise ?? runs.plain).config.steps;
  $('#timing').textContent = `Where the time went (${runs.noise ? 'the noise run' : 'the run'}; both runs train at the same time): loading MNIST ${secs(t.load)}, ` +
    `building the model ${secs(t.build)}, ${steps.toLocaleString('en')} steps ${secs(t.train)}, test evaluations after each epoch ${secs(t.eval)}, ` +
    `copying the data into shared memory, the final test and the weights hash ${secs(t.other)}; ${secs(wall)} from the press to the end.`;
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
  const withNoise = form.elements.namedItem('noise').checked;
  $('#start').disabled = true;
  status.dataset.state = 'running';
  status.textContent = `Training ${c.steps.toLocaleString('en')} steps, with and without noise...`;
  $('#expect').textContent = expectation(c, withNoise);
  $('#parted').textContent = $('#timing').textContent = '';
  pressedAt = performance.now();
  checkedTo = 0;
  parted = null;
  for (const k of ['partedStep', 'partedSeconds', 'noiseTime', 'plainTime', 'noiseAccuracy', 'plainAccuracy', 'wallSeconds']) delete document.body.dataset[k];
  for (const row of document.querySelectorAll('#results tbody tr')) {
    for (const td of row.querySelectorAll('td')) td.textContent = '-';
    delete row.dataset.hash;
  }
  heartbeat(true);
  try {
    // ?only=noise trains the noise run alone (bench/runtimes.mjs times it without a second run beside it).
    const alone = params.get('only') === 'noise';
    runs.noise = runs.plain = null;
    const done = await Promise.all([...(withNoise || alone ? [start('noise', c)] : []), ...(alone ? [] : [start('plain', c)])]);
    const wall = (performance.now() - pressedAt) / 1000;
    document.body.dataset.wallSeconds = wall.toFixed(2);
    showTime(wall);
    if (runs.noise && runs.plain && !parted) $('#parted').textContent = `The curves did not part within ${c.steps.toLocaleString('en')} steps.`;
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
