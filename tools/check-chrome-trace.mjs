// Reads a Chrome trace written by `initscope export --format chrome` with the trace engine of
// Chrome DevTools' Performance panel (npm @paulirish/trace_engine) and compares what it found
// with what the file holds: every process and thread named, every complete event ("X") an
// entry of its thread, the entries of each thread a tree (properly nested). Prints one line per
// thread and exits 1 when the engine lost or refused anything. Run by tools/check-chrome-trace.sh.
import fs from 'node:fs';
import {analyzeTrace} from '@paulirish/trace_engine/analyze-trace.mjs';

const file = process.argv[2];
const events = JSON.parse(fs.readFileSync(file, 'utf8')).traceEvents;
const expected = new Map(); // "pid/tid" -> complete events
const names = new Set();
for (const e of events) {
    if (e.ph === 'X')
        expected.set(`${e.pid}/${e.tid}`, (expected.get(`${e.pid}/${e.tid}`) ?? 0) + 1);
    if (e.ph === 'M' && e.name === 'process_name')
        names.add(e.pid);
}
const {parsedTrace} = await analyzeTrace(file);
const data = parsedTrace.data;
let failed = false;
let seen = 0;
for (const [pid, proc] of data.Renderer.processes) {
    for (const [tid, thread] of proc.threads) {
        const want = expected.get(`${pid}/${tid}`) ?? 0;
        const got = thread.entries?.length ?? 0;
        seen += got;
        const ok = got === want && (got === 0 || thread.tree?.roots?.size > 0);
        failed ||= !ok;
        console.log(`${ok ? 'ok  ' : 'FAIL'} pid ${pid} tid ${tid} "${thread.name ?? ''}": ${got} of ${want} calls as entries, ` +
                    `${thread.tree?.roots?.size ?? 0} top-level`);
    }
}
const total = [...expected.values()].reduce((a, b) => a + b, 0);
const processes = data.Meta.processNames?.size ?? 0;
if (seen !== total || processes !== names.size)
    failed = true;
console.log(`${failed ? 'FAIL' : 'ok  '} ${file}: ${processes} of ${names.size} processes named, ${seen} of ${total} calls read`);
process.exit(failed ? 1 : 0);
