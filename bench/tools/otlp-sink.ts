// An OTLP/HTTP sink for the tracing benchmarks: another process that reads each export and answers
// 200, as a collector would, without decoding (its CPU is not the server's).
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const CODE = "const s=require('http').createServer((q,r)=>{q.resume();q.on('end',()=>r.writeHead(200,{'content-type':'application/x-protobuf'}).end())});s.listen(0,'127.0.0.1',()=>console.log(s.address().port));";

/** Start the sink; `url` is its traces endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). */
export async function startSink(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', CODE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}/v1/traces`, stop: () => child.kill() };
}
