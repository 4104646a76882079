// Preloaded into a server under test (NODE_OPTIONS=--import=<this file>) with GLINER_MODULE_LOG set
// to a file: appends the URL of every module the main thread resolves, one a line, so a test can
// tell which packages a process loaded (tracing off must never load the OpenTelemetry SDK).
import { register } from 'node:module';

register('./module-log-hooks.mjs', import.meta.url);
