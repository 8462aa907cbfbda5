// The inpainting page: a photo, a mask painted over it, and POST /api/v1/inpaint.
// The mask canvas has the photo's own resolution; the page shows both scaled down, and
// pointer positions and the brush size are converted to photo pixels.
'use strict';

const MASK_RGB = [255, 45, 117];
const MASK_COLOR = `rgb(${MASK_RGB.join(',')})`;
const $ = (id) => document.getElementById(id);

const state = {
  photo: null,        // the File as chosen: sent as it is, so the server decodes the same bytes
  photoURL: null,
  width: 0,
  height: 0,
  ops: [],            // strokes, uploaded masks and clears, in order: undo pops the last
  stroke: null,
  erase: false,
  maskURL: null,
  resultURLs: [],     // one object URL per result; the one shown is the selected one
  seeds: [],         // the seed of each result
  models: [],         // GET /api/v1/models' entries
  maxResults: 1,
  maxPixels: Infinity,
};

const canvas = $('mask-canvas');
const ctx = canvas.getContext('2d', { willReadFrequently: true });

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

function scale() {   // photo pixels per screen pixel
  return canvas.width / canvas.getBoundingClientRect().width;
}

function toPhoto(event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * scale(), (event.clientY - box.top) * scale()];
}

function paint(op, from) {
  // Draws the stroke ``op`` from point index ``from`` on.
  ctx.save();
  ctx.globalCompositeOperation = op.erase ? 'destination-out' : 'source-over';
  ctx.strokeStyle = ctx.fillStyle = MASK_COLOR;
  ctx.lineWidth = op.size;
  ctx.lineCap = ctx.lineJoin = 'round';
  const pts = op.points;
  if (pts.length === 1) {
    ctx.beginPath();
    ctx.arc(pts[0][0], pts[0][1], op.size / 2, 0, 2 * Math.PI);
    ctx.fill();
  } else {
    ctx.beginPath();
    const start = Math.max(0, from - 1);
    ctx.moveTo(pts[start][0], pts[start][1]);
    for (let i = start + 1; i < pts.length; i++) ctx.lineTo(pts[i][0], pts[i][1]);
    ctx.stroke();
  }
  ctx.restore();
}

function redraw() {
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const op of state.ops) {
    if (op.kind === 'clear') ctx.clearRect(0, 0, canvas.width, canvas.height);
    else if (op.kind === 'mask') ctx.drawImage(op.canvas, 0, 0);
    else paint(op, 0);
  }
  updateButtons();
}

function updateButtons() {
  const has = state.photo !== null;
  $('undo').disabled = !has || state.ops.length === 0;
  $('clear').disabled = !has || state.ops.length === 0;
  $('inpaint').disabled = !has;
  $('mask-input').disabled = !has;
}

function selectTool(erase) {
  state.erase = erase;
  for (const [id, on] of [['tool-brush', !erase], ['tool-eraser', erase]]) {
    $(id).classList.toggle('active', on);
    $(id).setAttribute('aria-pressed', String(on));
  }
}

canvas.addEventListener('pointerdown', (event) => {
  if (!state.photo || event.button !== 0) return;
  canvas.setPointerCapture(event.pointerId);
  const size = Number($('brush-size').value) * scale();
  state.stroke = { kind: 'stroke', erase: state.erase, size, points: [toPhoto(event)] };
  paint(state.stroke, 0);
  event.preventDefault();
});
canvas.addEventListener('pointermove', (event) => {
  if (!state.stroke) return;
  state.stroke.points.push(toPhoto(event));
  paint(state.stroke, state.stroke.points.length - 1);
});
function endStroke() {
  if (!state.stroke) return;
  state.ops.push(state.stroke);
  state.stroke = null;
  updateButtons();
}
canvas.addEventListener('pointerup', endStroke);
canvas.addEventListener('pointercancel', endStroke);

function undo() {
  if (state.ops.length) { state.ops.pop(); redraw(); }
}
$('undo').addEventListener('click', undo);
$('clear').addEventListener('click', () => { state.ops.push({ kind: 'clear' }); redraw(); });
$('tool-brush').addEventListener('click', () => selectTool(false));
$('tool-eraser').addEventListener('click', () => selectTool(true));
$('brush-size').addEventListener('input', () => {
  $('brush-size-value').textContent = $('brush-size').value;
});
document.addEventListener('keydown', (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === 'z') { undo(); event.preventDefault(); }
});

function showEditor() {
  $('drop-hint').hidden = true;
  $('editor').hidden = false;
  $('compare').hidden = true;
  $('compare-controls').hidden = true;
}

function loadPhoto(file) {
  if (!file || !file.type.startsWith('image/')) {
    setStatus(`${file ? file.name : 'nothing'}: not an image`, true);
    return;
  }
  const url = URL.createObjectURL(file);
  const img = $('photo');
  img.onload = () => {
    if (state.photoURL) URL.revokeObjectURL(state.photoURL);
    Object.assign(state, { photo: file, photoURL: url, width: img.naturalWidth,
                           height: img.naturalHeight, ops: [], stroke: null });
    canvas.width = state.width;
    canvas.height = state.height;
    redraw();
    showEditor();
    $('result-info').hidden = true;
    const big = state.width * state.height > state.maxPixels;
    setStatus(`${file.name}: ${state.width}x${state.height}` +
              (big ? ' - larger than this server accepts' : '. Paint over what should go.'),
              big);
  };
  img.onerror = () => setStatus(`${file.name}: this browser cannot show it`, true);
  img.src = url;
}

$('image-input').addEventListener('change', (e) => loadPhoto(e.target.files[0]));

$('mask-input').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (err) {
    setStatus(`mask ${file.name}: not an image`, true);
    return;
  }
  if (bitmap.width !== state.width || bitmap.height !== state.height) {
    setStatus(`mask ${file.name} is ${bitmap.width}x${bitmap.height} but the photo is ` +
              `${state.width}x${state.height}`, true);
    return;
  }
  // White (> 127) = hole, as the server reads mask files.
  const layer = document.createElement('canvas');
  layer.width = bitmap.width;
  layer.height = bitmap.height;
  const lctx = layer.getContext('2d');
  lctx.drawImage(bitmap, 0, 0);
  const data = lctx.getImageData(0, 0, layer.width, layer.height);
  const px = data.data;
  for (let i = 0; i < px.length; i += 4) {
    const lum = (0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2]) * px[i + 3] / 255;
    const hole = lum > 127;
    px[i] = MASK_RGB[0]; px[i + 1] = MASK_RGB[1]; px[i + 2] = MASK_RGB[2];
    px[i + 3] = hole ? 255 : 0;
  }
  lctx.putImageData(data, 0, 0);
  state.ops.push({ kind: 'mask', canvas: layer });
  redraw();
  setStatus(`mask ${file.name} added; paint or erase to change it`);
});

const stage = $('stage');
stage.addEventListener('dragover', (e) => { e.preventDefault(); stage.classList.add('dragging'); });
stage.addEventListener('dragleave', () => stage.classList.remove('dragging'));
stage.addEventListener('drop', (e) => {
  e.preventDefault();
  stage.classList.remove('dragging');
  loadPhoto(e.dataTransfer.files[0]);
});

function maskBlob() {
  // The painted mask as a black-and-white PNG at the photo's size (white = hole); the
  // brush's anti-aliased edge is cut at half coverage.
  const src = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const out = new ImageData(canvas.width, canvas.height);
  let holes = 0;
  for (let i = 0; i < src.length; i += 4) {
    const v = src[i + 3] > 127 ? 255 : 0;
    holes += v;
    out.data[i] = out.data[i + 1] = out.data[i + 2] = v;
    out.data[i + 3] = 255;
  }
  const off = document.createElement('canvas');
  off.width = canvas.width;
  off.height = canvas.height;
  off.getContext('2d').putImageData(out, 0, 0);
  return new Promise((resolve) => off.toBlob((blob) => resolve([blob, holes > 0]), 'image/png'));
}

function showProgress(value, max) {
  $('progress-box').hidden = false;
  const bar = $('progress');
  if (max > 0) { bar.max = max; bar.value = value; } else bar.removeAttribute('value');
}

async function inpaint() {
  const [mask, hasHole] = await maskBlob();
  if (!hasHole) { setStatus('Paint over what should disappear first.', true); return; }
  const job = `page-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const form = new FormData();
  form.append('image', state.photo, state.photo.name);
  form.append('mask', mask, 'mask.png');
  form.append('model', $('model').value);
  form.append('hd_strategy', $('hd-strategy').value);
  const seed = Math.max(0, Math.floor(Number($('seed').value) || 0));
  form.append('seed', String(seed));
  // Always asked for, so that every answer is the same JSON; 1 for a model that does not
  // sample (the server refuses more).
  const count = samples() ? Math.min(state.maxResults,
                                     Math.max(1, Math.floor(Number($('num-results').value) || 1)))
                          : 1;
  form.append('num_results', String(count));
  form.append('job', job);
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  $('inpaint').disabled = true;
  $('result-info').hidden = true;
  let poll = null;
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/api/v1/inpaint');
  xhr.responseType = 'json';
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) showProgress(e.loaded, e.total);
    setStatus(`Uploading${e.lengthComputable ? ` ${Math.round(100 * e.loaded / e.total)}%` : ''}...`);
  };
  xhr.upload.onload = () => {
    showProgress(0, 0);
    setStatus('Inpainting...');
    poll = setInterval(async () => {
      const answer = await fetch(`/api/v1/progress/${job}`).catch(() => null);
      if (!answer || !answer.ok) return;
      const p = await answer.json();
      if (p.stage === 'inpainting' && p.total > 1) {
        showProgress(p.done, p.total);
        setStatus(`Inpainting: piece ${p.done} of ${p.total} (${seconds()} s)`);
      } else if (p.stage === 'inpainting' || p.stage === 'received') {
        setStatus(`Inpainting... (${seconds()} s)`);
      } else if (p.stage === 'encoding') {
        setStatus(`Encoding the result... (${seconds()} s)`);
      }
    }, 300);
  };
  const finish = () => {
    clearInterval(poll);
    $('progress-box').hidden = true;
    $('inpaint').disabled = false;
  };
  xhr.onerror = () => { finish(); setStatus('The server cannot be reached.', true); };
  xhr.onload = async () => {
    finish();
    const answer = xhr.response;      // null when the body is not JSON
    if (xhr.status !== 200 || !answer || !answer.results) {
      setStatus(`Refused: ${(answer && answer.detail) || `HTTP ${xhr.status}`}`, true);
      return;
    }
    for (const url of state.resultURLs) URL.revokeObjectURL(url);
    if (state.maskURL) URL.revokeObjectURL(state.maskURL);
    state.resultURLs = answer.results.map((r) => URL.createObjectURL(pngBlob(r.image)));
    state.maskURL = URL.createObjectURL(mask);
    showResults(answer, seconds());
  };
  xhr.send(form);
}
$('inpaint').addEventListener('click', inpaint);

function pngBlob(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Blob([bytes], { type: 'image/png' });
}

function selectResult(index) {
  // Shows result ``index`` in the before/after view, and offers it for download.
  $('result').src = state.resultURLs[index];
  $('download-result').href = state.resultURLs[index];
  $('download-result').download = `inpainted-seed${state.seeds[index]}.png`;
  $('results').querySelectorAll('img').forEach((img, i) => {
    img.classList.toggle('selected', i === index);
  });
}

function showResults(answer, seconds) {
  state.seeds = answer.results.map((r) => r.seed);
  const gallery = $('results');
  gallery.replaceChildren(...state.resultURLs.map((url, i) => {
    const img = new Image();
    img.src = url;
    img.alt = `result ${i + 1}, seed ${state.seeds[i]}`;
    img.title = `seed ${state.seeds[i]}`;
    img.addEventListener('click', () => selectResult(i));
    return img;
  }));
  gallery.hidden = state.resultURLs.length < 2;
  const result = $('result');
  result.onload = () => {
    result.onload = null;
    $('before').src = state.photoURL;
    $('editor').hidden = true;
    $('compare').hidden = false;
    $('compare-controls').hidden = false;
    setCompare($('compare-slider').value);
    $('hd-ran').textContent = answer.hd_strategy;
    $('hd-report').textContent = `${answer.model}: ${answer.hd_report}`;
    $('download-mask').href = state.maskURL;
    $('result-info').hidden = false;
    const n = state.seeds.length;
    setStatus(n > 1 ? `Done in ${seconds} s: ${n} results (seeds ${state.seeds[0]} to ` +
                      `${state.seeds[n - 1]}); click one to compare it.`
                    : `Done in ${seconds} s.`);
  };
  selectResult(0);
}

function samples() {   // whether the chosen model draws a different completion per seed
  const m = state.models.find((x) => x.name === $('model').value);
  return Boolean(m && m.samples);
}

function setCompare(percent) {
  $('after-clip').style.clipPath = `inset(0 0 0 ${percent}%)`;
  $('compare-line').style.left = `${percent}%`;
}
$('compare-slider').addEventListener('input', (e) => setCompare(e.target.value));
$('back-to-editor').addEventListener('click', showEditor);

async function loadModels() {
  try {
    const answer = await fetch('/api/v1/models');
    const info = await answer.json();
    state.models = info.models;
    state.maxResults = info.max_results;
    $('num-results').max = String(info.max_results);
    const describe = () => {
      const m = info.models.find((x) => x.name === $('model').value);
      $('model-description').textContent = !m ? ''
        : m.status === 'unavailable' ? `Unavailable: ${m.reason}`
          : m.status === 'downloadable' ? `${m.description}: not downloaded yet` : m.description;
      $('num-results-box').hidden = !samples();   // N results only where they can differ
    };
    for (const m of info.models) {
      const label = m.status === 'downloadable' ? `${m.name} (downloadable)` : m.name;
      const option = new Option(label, m.name, false, m.name === info.default);
      option.disabled = m.status === 'downloadable';
      $('model').add(option);
    }
    $('model').addEventListener('change', describe);
    describe();
    for (const s of info.hd_strategies) {
      $('hd-strategy').add(new Option(s, s, false, s === info.default_hd_strategy));
    }
    state.maxPixels = info.max_pixels;
  } catch (err) {
    setStatus('The server cannot be reached.', true);
  }
}

loadModels();
updateButtons();
