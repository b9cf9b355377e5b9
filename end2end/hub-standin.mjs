// A stand-in for the Hugging Face Hub on loopback, for the browser tests:
// the tree listing (with LFS SHA-256s) and `resolve/` downloads, LFS files
// redirected to a "CDN" that honours Range and sends slowly enough for a
// progress bar to show. One repository, acme/tiny-e2e: a Llama config, a
// tokenizer file and 3 MB of weights. Usage: node hub-standin.mjs PORT
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';

const port = Number(process.argv[2] ?? 0);
const config = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 320, hidden_size: 64,
  intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 2048, tie_word_embeddings: false,
};
const files = new Map([
  ['config.json', Buffer.from(JSON.stringify(config, null, 2))],
  ['tokenizer.json', Buffer.from('{"version":"1.0","model":{"type":"BPE","vocab":{},"merges":[]}}')],
  ['model.safetensors', randomBytes(3 << 20)],
  ['README.md', Buffer.from('# tiny-e2e')],
]);
const lfs = (name) => name.endsWith('.safetensors');
const sha = (alg, data) => createHash(alg).update(data).digest('hex');
const gitOid = (data) => sha('sha1', Buffer.concat([Buffer.from(`blob ${data.length}\0`), data]));

function tree(res) {
  const list = [...files].map(([path, data]) => {
    const e = { type: 'file', path, size: data.length, oid: gitOid(data) };
    if (lfs(path)) e.lfs = { oid: sha('sha256', data), size: data.length, pointerSize: 134 };
    return e;
  });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(list));
}

function send(req, res, name) {
  const data = files.get(name);
  if (!data) { res.writeHead(404); res.end(); return; }
  const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
  const body = data.subarray(from);
  res.writeHead(from ? 206 : 200, {
    'content-length': body.length,
    ...(from ? { 'content-range': `bytes ${from}-${data.length - 1}/${data.length}` } : {}),
  });
  // 64 kB every 100 ms: about 5 s for the weights.
  let at = 0;
  const step = () => {
    if (at >= body.length) { res.end(); return; }
    res.write(body.subarray(at, at + (64 << 10)));
    at += 64 << 10;
    setTimeout(step, lfs(name) ? 100 : 0);
  };
  step();
}

createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname.split('/').filter(Boolean);
  const repo = path[0] === 'api' ? `${path[2]}/${path[3]}` : `${path[path[0] === 'cdn' ? 1 : 0]}/${path[path[0] === 'cdn' ? 2 : 1]}`;
  if (repo !== 'acme/tiny-e2e') { res.writeHead(404); res.end('Repository not found'); return; }
  if (path[0] === 'api' && path[4] === 'tree') return tree(res);
  if (path[0] === 'cdn') return send(req, res, path[3]);
  if (path[2] === 'resolve') {
    const name = path[4];
    if (lfs(name)) { res.writeHead(302, { location: `/cdn/${repo}/${name}` }); res.end(); return; }
    return send(req, res, name);
  }
  res.writeHead(404); res.end();
}).listen(port, '127.0.0.1', function () {
  console.log(`http://127.0.0.1:${this.address().port}`);
});
