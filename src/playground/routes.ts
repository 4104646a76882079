// The playground page: static files from src/playground/static, read once at start-up and served
// at / (index.html) and /playground/<file>. PLAYGROUND=false leaves these routes out entirely.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { staticRoute, type Route } from '../http/router.js';
import { PACKAGE_ROOT } from '../paths.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json',
};

export const PLAYGROUND_DIR = path.join(PACKAGE_ROOT, 'src/playground/static');

// The page talks only to this origin: no CDN, no inline script.
const CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'";

export function playgroundRoutes(dir = PLAYGROUND_DIR): Route[] {
  if (!existsSync(dir)) return [];
  const routes: Route[] = [];
  const headers: [string, string][] = [['Content-Security-Policy', CSP], ['Cache-Control', 'no-cache']];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const body = readFileSync(file);
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    routes.push(staticRoute(`/playground/${name}`, '/playground/*', body, type, headers));
    if (name === 'index.html') {
      routes.push(staticRoute('/', '/', body, type, headers), staticRoute('/playground', '/playground/*', body, type, headers));
    }
  }
  return routes;
}
