// API documentation, served offline from npm packages: the OpenAPI JSON, Swagger UI at /api/docs
// and ReDoc at /api/redoc. Assets are read once at start-up. Nothing is fetched from elsewhere: ReDoc's
// "by Redocly" logo (a CDN image) is blanked, and Swagger UI's online validator badge is off.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { openApiDocument } from '../openapi.js';
import { staticRoute, type Route } from '../router.js';

const require = createRequire(import.meta.url);

function asset(pkg: string, file: string): Buffer {
  return readFileSync(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file));
}

/** ReDoc's bundle with its one remote asset (the Redocly logo from cdn.redoc.ly) replaced by an empty inline SVG. */
export const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
const BLANK_SVG = 'data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27 width=%271%27 height=%271%27/%3E';
export function offlineRedoc(bundle: Buffer): Buffer {
  const text = bundle.toString('utf8');
  if (!text.includes(REDOC_CDN_LOGO)) return bundle; // a newer ReDoc without it
  return Buffer.from(text.split(REDOC_CDN_LOGO).join(BLANK_SVG));
}

const page = (title: string, head: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>${head}</head><body>${body}</body></html>`;

export function docsRoutes(version: string): Route[] {
  const spec = JSON.stringify(openApiDocument(version));
  const files: [string, Buffer, string][] = [
    ['/api/docs/swagger-ui.css', asset('swagger-ui-dist', 'swagger-ui.css'), 'text/css'],
    ['/api/docs/swagger-ui-bundle.js', asset('swagger-ui-dist', 'swagger-ui-bundle.js'), 'text/javascript'],
    ['/api/docs/init.js', Buffer.from("window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', validatorUrl: null });\n"), 'text/javascript'],
    ['/api/redoc/redoc.standalone.js', offlineRedoc(asset('redoc', 'bundles/redoc.standalone.js')), 'text/javascript'],
  ];
  const swagger = page('GLiNER API — Swagger UI', '<link rel="stylesheet" href="/api/docs/swagger-ui.css">', '<div id="swagger-ui"></div><script src="/api/docs/swagger-ui-bundle.js"></script><script src="/api/docs/init.js"></script>');
  const redoc = page('GLiNER API — ReDoc', '', '<redoc spec-url="/api/openapi.json"></redoc><script src="/api/redoc/redoc.standalone.js"></script>');
  const get = (routePath: string, body: string | Buffer, type: string): Route => staticRoute(routePath, routePath, body, type, [['Cache-Control', 'public, max-age=3600']]);
  return [
    get('/api/openapi.json', spec, 'application/json'),
    get('/api/docs', swagger, 'text/html; charset=utf-8'),
    get('/api/redoc', redoc, 'text/html; charset=utf-8'),
    ...files.map(([routePath, body, type]) => get(routePath, body, type)),
  ];
}
