// The page of `digitnet serve`. Plain JavaScript; Chart.js (served by the program) draws the charts.
'use strict';

const $ = (id) => document.getElementById(id);
const charts = {};          // the Chart.js charts, also for the browser test to read
window.digitnet = charts;

async function api(path, options) {
  const response = await fetch(path, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  return { status: response.status, body };
}

const percent = (x) => (100 * x).toFixed(2) + '%';

// ---- pictures: lists of grey values drawn as enlarged pixels ----

// values: rows*cols, row-major. scale: each value to 0..255 grey.
function drawPicture(context, values, rows, cols, x0, y0, zoom, toGrey) {
  for (let r = 0; r < rows; ++r) {
    for (let c = 0; c < cols; ++c) {
      const g = Math.round(Math.max(0, Math.min(255, toGrey(values[r * cols + c]))));
      context.fillStyle = `rgb(${g},${g},${g})`;
      context.fillRect(x0 + c * zoom, y0 + r * zoom, zoom, zoom);
    }
  }
}

// The first layer's units in a grid, each scaled by its own largest magnitude (as `show --model`).
function drawUnits(canvas, units, rows, cols, zoom) {
  const columns = Math.ceil(Math.sqrt(units.length));
  const gridRows = Math.ceil(units.length / columns);
  canvas.width = columns * (cols * zoom + 2);
  canvas.height = gridRows * (rows * zoom + 2);
  const context = canvas.getContext('2d');
  context.fillStyle = '#000';
  context.fillRect(0, 0, canvas.width, canvas.height);
  units.forEach((unit, i) => {
    const largest = Math.max(1e-12, ...unit.map(Math.abs));
    drawPicture(context, unit, rows, cols, (i % columns) * (cols * zoom + 2) + 1,
                Math.floor(i / columns) * (rows * zoom + 2) + 1, zoom, (v) => 127.5 + 127.5 * v / largest);
  });
}

// ---- draw: the canvas, and what the network makes of it ----

const drawCanvas = $('draw');
const drawContext = drawCanvas.getContext('2d');
let drawing = false, inked = false, lastPoint = null, predicting = false, predictAgain = false, lastPredict = 0;

function clearDrawing() {
  drawContext.fillStyle = '#fff';
  drawContext.fillRect(0, 0, drawCanvas.width, drawCanvas.height);
  inked = false;
  $('prediction').textContent = '?';
  $('prediction-note').textContent = 'Draw a digit with the mouse or a finger.';
  charts.scores.data.datasets[0].data = [];
  charts.scores.update();
  const input = $('input-view').getContext('2d');
  input.fillStyle = '#000';
  input.fillRect(0, 0, 160, 160);
}

function pointOf(event) {
  const box = drawCanvas.getBoundingClientRect();
  return { x: (event.clientX - box.left) * drawCanvas.width / box.width, y: (event.clientY - box.top) * drawCanvas.height / box.height };
}

function strokeTo(point) {
  drawContext.strokeStyle = '#000';
  drawContext.lineWidth = 18;
  drawContext.lineCap = 'round';
  drawContext.lineJoin = 'round';
  drawContext.beginPath();
  drawContext.moveTo(lastPoint.x, lastPoint.y);
  drawContext.lineTo(point.x, point.y);
  drawContext.stroke();
  lastPoint = point;
  inked = true;
}

drawCanvas.addEventListener('pointerdown', (event) => {
  drawing = true;
  drawCanvas.setPointerCapture(event.pointerId);
  lastPoint = pointOf(event);
  strokeTo({ x: lastPoint.x + 0.01, y: lastPoint.y });
});
drawCanvas.addEventListener('pointermove', (event) => {
  if (!drawing) return;
  strokeTo(pointOf(event));
  if (performance.now() - lastPredict > 120) predict();
});
const endStroke = () => { if (drawing) { drawing = false; predict(); } };
drawCanvas.addEventListener('pointerup', endStroke);
drawCanvas.addEventListener('pointercancel', endStroke);
$('clear').addEventListener('click', clearDrawing);

// Sends the drawing as grey bytes; one request at a time, the latest drawing wins.
async function predict() {
  if (!inked) return;
  if (predicting) { predictAgain = true; return; }
  predicting = true;
  lastPredict = performance.now();
  const pixels = drawContext.getImageData(0, 0, drawCanvas.width, drawCanvas.height).data;
  const grey = new Uint8Array(drawCanvas.width * drawCanvas.height);
  for (let i = 0; i < grey.length; ++i) grey[i] = pixels[4 * i];
  try {
    const { status, body } = await api(`/api/predict?width=${drawCanvas.width}&height=${drawCanvas.height}`,
      { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: grey });
    if (status === 200) showReading(body);
    else { $('prediction').textContent = '?'; $('prediction-note').textContent = body ? body.error : 'error ' + status; }
  } finally {
    predicting = false;
    if (predictAgain) { predictAgain = false; predict(); }
  }
}

function showReading(reading) {
  $('prediction').textContent = reading.digit;
  const best = reading.scores[reading.digits.indexOf(reading.digit)].toFixed(3);
  $('prediction-note').textContent = reading.probabilities ? `probability ${best}` : `score ${best}`;
  $('scores-note').textContent = (reading.probabilities ? 'Bars: ' : 'Scores: ') + reading.scores_are + '.';
  // Bars in digit order 0..9.
  const order = reading.digits.map((d, k) => [d, reading.scores[k]]).sort((a, b) => a[0] - b[0]);
  charts.scores.data.labels = order.map((p) => String(p[0]));
  charts.scores.data.datasets[0].data = order.map((p) => p[1]);
  charts.scores.data.datasets[0].backgroundColor = order.map((p) => (p[0] === reading.digit ? '#e4572e' : '#4a6fa5'));
  charts.scores.update();
  drawPicture($('input-view').getContext('2d'), reading.input, reading.rows, reading.cols, 0, 0, 160 / reading.cols, (v) => 255 * v);
  const strip = $('hidden-strip');
  const cell = Math.max(3, Math.min(12, Math.floor(320 / reading.hidden.length)));
  strip.width = cell * reading.hidden.length;
  strip.height = cell;
  // Each activation's range to dark..bright: sigmoid 0..1, tanh -1..1, relu 0..its largest here.
  const largest = Math.max(1e-12, ...reading.hidden);
  const toGrey = { sigmoid: (v) => 255 * v, tanh: (v) => 127.5 * (v + 1), relu: (v) => 255 * v / largest }[reading.activation];
  $('hidden-note').textContent = 'Each cell one hidden unit (' + reading.activation + '): ' +
    { sigmoid: 'dark 0, bright 1.', tanh: 'dark -1, bright 1.', relu: 'dark 0, bright the largest.' }[reading.activation];
  drawPicture(strip.getContext('2d'), reading.hidden, 1, reading.hidden.length, 0, 0, cell, toGrey);
}

// ---- look inside: the model in use ----

async function refreshModel() {
  const info = (await api('/api/info')).body;
  $('model-line').textContent = info.model
    ? `model: ${info.model.description} | data: ${info.data} (${info.train_examples} train, ${info.test_examples} test)`
    : 'no model yet: the first training run is under way';
  for (const [id, names] of [['activation', info.activations], ['output', info.outputs]]) {
    const select = $(id);
    if (select.options.length === 0) for (const name of names) select.add(new Option(name, name));
  }
  if (!info.model) return;
  const units = await api('/api/units');
  if (units.status === 200) drawUnits($('units-view'), units.body.units, units.body.rows, units.body.cols, 3);
  const evaluation = await api('/api/evaluation');
  if (evaluation.status === 200) showEvaluation(evaluation.body);
  if (inked) predict();
}

function showEvaluation(e) {
  $('eval-set').textContent = e.set;
  $('eval-accuracy').textContent = percent(e.accuracy);
  // Rows and columns in digit order 0..9.
  const order = e.digits.map((d, k) => [d, k]).sort((a, b) => a[0] - b[0]);
  const table = $('confusion');
  table.innerHTML = '';
  const head = table.insertRow();
  head.appendChild(document.createElement('th'));
  for (const [d] of order) { const th = document.createElement('th'); th.textContent = d; head.appendChild(th); }
  for (const [d, k] of order) {
    const row = table.insertRow();
    const th = document.createElement('th');
    th.textContent = d;
    row.appendChild(th);
    const total = e.confusion[k].reduce((a, b) => a + b, 0) || 1;
    for (const [, j] of order) {
      const cell = row.insertCell();
      const n = e.confusion[k][j];
      cell.textContent = n || '';
      const share = n / total;
      cell.style.background = j === k ? `rgba(46, 139, 87, ${0.15 + 0.6 * share})` : `rgba(228, 87, 46, ${Math.min(1, 8 * share)})`;
    }
  }
  const gallery = $('mistakes');
  gallery.innerHTML = '';
  for (const m of e.mistakes) {
    const box = document.createElement('div');
    box.className = 'mistake';
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 2 * 20;
    const side = Math.sqrt(m.input.length);
    drawPicture(canvas.getContext('2d'), m.input, side, side, 0, 0, 40 / side, (v) => 255 * v);
    const caption = document.createElement('span');
    caption.textContent = `${m.digit} \u2192 ${m.predicted}`;
    box.append(canvas, caption);
    gallery.appendChild(box);
  }
}

// ---- train and watch ----

let costsSeen = 0, runSeen = 0, unitsSeen = 0, lastState = null;

$('optimizer').addEventListener('change', () => {
  const adam = $('optimizer').value === 'adam';
  $('iterations-label').textContent = adam ? 'epochs' : $('optimizer').value === 'cg' ? 'line searches' : 'iterations';
  $('iterations').value = adam ? 10 : $('optimizer').value === 'cg' ? 100 : 800;
});

$('train-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  // Only the chosen optimizer's own options: the server refuses an option of another optimizer.
  const optimizer = $('optimizer').value, count = Number($('iterations').value);
  const own = optimizer === 'adam' ? { lr: Number($('lr').value), epochs: count }
    : optimizer === 'cg' ? { iterations: count } : { alpha: Number($('alpha').value), iterations: count };
  const settings = {
    hidden: Number($('hidden').value), activation: $('activation').value || 'sigmoid',
    output: $('output').value || 'sigmoid', optimizer, lambda: Number($('lambda').value), ...own,
  };
  const { status, body } = await api('/api/train', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(settings) });
  if (status !== 202) $('train-message').textContent = body ? body.error : 'error ' + status;
  poll();
});
// Stop leaves the model in use as it is; Keep then puts the stopped run's model in use instead.
$('stop').addEventListener('click', () => api('/api/train/stop', { method: 'POST' }));
$('keep').addEventListener('click', async () => {
  const { status, body } = await api('/api/train/keep', { method: 'POST' });
  if (status !== 200) $('train-message').textContent = body ? body.error : 'error ' + status;
  await poll();
  refreshModel();
});

// One poll at a time (the timer and the Train button both ask), so no point is added twice.
let polling = false;
async function poll() {
  if (polling) return;
  polling = true;
  try { await pollOnce(); } finally { polling = false; }
}

async function pollOnce() {
  const { status, body: s } = await api(`/api/train/status?since=${costsSeen}`);
  if (status !== 200) return;
  if (s.run !== runSeen) {
    runSeen = s.run;
    costsSeen = 0;
    unitsSeen = 0;
    charts.cost.data.datasets[0].data = [];
    if (s.costs_total > s.costs.length) return pollOnce();  // a new run: fetch its curve from the start
  }
  for (const [x, y] of s.costs) charts.cost.data.datasets[0].data.push({ x, y });
  costsSeen = s.costs_total;
  charts.cost.options.scales.x.max = s.total || undefined;
  charts.cost.update();
  charts.accuracy.data.datasets[0].data = s.accuracy.map((p) => ({ x: p.iteration, y: 100 * p.train }));
  charts.accuracy.data.datasets[1].data = s.accuracy.filter((p) => p.test !== undefined).map((p) => ({ x: p.iteration, y: 100 * p.test }));
  charts.accuracy.options.scales.x.max = s.total || undefined;
  charts.accuracy.update();
  $('train-state').textContent = s.state;
  $('train-iteration').textContent = s.total ? `${s.iteration} / ${s.total}` : '-';
  $('train-ms').textContent = s.ms_per_iteration ? s.ms_per_iteration.toFixed(2) + ' ms' : '-';
  const last = s.accuracy[s.accuracy.length - 1];
  $('train-accuracy').textContent = last ? percent(last.train) : '-';
  $('test-accuracy').textContent = last && last.test !== undefined ? percent(last.test) : '-';
  $('train-device').textContent = s.device || '-';
  $('train-message').textContent = s.message;
  $('train').disabled = s.state === 'running';
  $('stop').disabled = s.state !== 'running';
  $('keep').disabled = !s.keepable;
  if (s.units_version !== unitsSeen) {
    const units = await api('/api/train/units');
    if (units.status === 200) {
      unitsSeen = units.body.version;
      drawUnits($('forming-units'), units.body.units, units.body.rows, units.body.cols, 2);
    }
  }
  if (lastState === 'running' && s.state !== 'running') refreshModel();
  lastState = s.state;
}

// ---- charts ----

function makeCharts() {
  Chart.defaults.animation = false;
  charts.scores = new Chart($('scores-chart'), {
    type: 'bar',
    data: { labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], datasets: [{ label: 'score', data: [] }] },
    options: { responsive: true, maintainAspectRatio: false, scales: { y: { min: 0, max: 1 } }, plugins: { legend: { display: false } } },
  });
  const line = (title, datasets, y) => ({
    type: 'line',
    data: { datasets },
    options: {
      responsive: true, maintainAspectRatio: false, parsing: false, normalized: true,
      elements: { point: { radius: 0 } },
      scales: { x: { type: 'linear', min: 0, title: { display: true, text: 'iteration' } }, y },
      plugins: { title: { display: true, text: title } },
    },
  });
  charts.cost = new Chart($('cost-chart'), line('cost J', [{ label: 'cost', data: [], borderColor: '#4a6fa5', borderWidth: 2 }],
                                                { title: { display: true, text: 'J' } }));
  charts.accuracy = new Chart($('accuracy-chart'), line('accuracy', [
    { label: 'train', data: [], borderColor: '#4a6fa5', borderWidth: 2, pointRadius: 2 },
    { label: 'test', data: [], borderColor: '#e4572e', borderWidth: 2, pointRadius: 2 },
  ], { min: 0, max: 100, title: { display: true, text: '%' } }));
}

makeCharts();
clearDrawing();
refreshModel();
poll();
setInterval(poll, 300);
