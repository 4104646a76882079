// The front end: the public uWS listener (API, WebSocket, docs, playground, health) and the admin
// listener (metrics, health). Nothing below this folder knows about uWS.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { GlinerError } from '../errors.js';
import type { Metrics } from '../metrics/registry.js';
import type { ServiceHost } from '../service/host.js';
import { healthRoutes, metricsRoute } from './routes/health.js';
import { docsRoutes } from './routes/docs.js';
import { oipRoutes } from './routes/oip.js';
import { extractRoutes } from './routes/extract.js';
import { predictRoutes } from './routes/predict.js';
import { register, type AccessControl, type Route } from './router.js';
import { registerStream, type StreamHandle, type StreamSettings } from './stream.js';
import type { Uws } from './uws.js';

export interface TlsSettings {
  readonly certFile: string;
  readonly keyFile: string;
  readonly passphrase?: string;
}

export interface FrontEndSettings {
  readonly host: string;
  readonly port: number;
  readonly adminHost: string;
  readonly adminPort: number;
  readonly tls?: TlsSettings;
  readonly maxBodyBytes: number;
  readonly corsOrigins: readonly string[];
  readonly stream: StreamSettings;
  readonly version: string;
  /** The model's name in the Open Inference Protocol routes. */
  readonly oipModelName: string;
  /** Extra public routes (the playground). */
  readonly extraRoutes: readonly Route[];
}

export interface FrontEndDeps {
  readonly uws: Uws;
  /** The predict service every transport hands its requests to. */
  readonly service: ServiceHost;
  readonly metrics: Metrics;
  readonly access: AccessControl;
  readonly logger: Logger;
}

export interface FrontEnd {
  readonly port: number;
  readonly adminPort: number;
  readonly tls: boolean;
  /** HTTP exchanges received and not yet answered (shutdown waits for 0). */
  readonly inFlight: number;
  /** Stop accepting connections on both listeners (open sockets finish their exchanges). */
  stopListening(): void;
  readonly stream: StreamHandle;
  /** Close every WebSocket left (1001). */
  closeAll(): void;
}

const OPEN_ACCESS: AccessControl = { admit: () => ({ keyName: 'admin', headers: [], charge: () => undefined }) };

function listen(app: TemplatedApp, host: string, port: number): Promise<us_listen_socket> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (socket) resolve(socket);
      else reject(new GlinerError('CONFIG_INVALID', `cannot listen on ${host}:${port} (in use, or not allowed)`));
    });
  });
}

export async function startFrontEnd(settings: FrontEndSettings, deps: FrontEndDeps): Promise<FrontEnd> {
  const { uws } = deps;
  const security: [string, string][] = [['X-Content-Type-Options', 'nosniff'], ['Referrer-Policy', 'no-referrer']];
  let app: TemplatedApp;
  if (settings.tls !== undefined) {
    // Fail early with a clear message instead of uWS's silent invalid app.
    readFileSync(settings.tls.certFile);
    readFileSync(settings.tls.keyFile);
    app = uws.SSLApp({ cert_file_name: settings.tls.certFile, key_file_name: settings.tls.keyFile, ...(settings.tls.passphrase ? { passphrase: settings.tls.passphrase } : {}) });
    security.push(['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']);
  } else {
    app = uws.App();
  }
  const exchanges = { inFlight: 0 };
  const routerDeps = { metrics: deps.metrics, logger: deps.logger, access: deps.access, maxBodyBytes: settings.maxBodyBytes, baseHeaders: security, corsOrigins: settings.corsOrigins, state: exchanges };
  const { service } = deps;
  const stream = registerStream(app, { service, metrics: deps.metrics, access: deps.access, logger: deps.logger, settings: settings.stream, baseHeaders: security });
  register(app, [
    ...predictRoutes(service),
    ...extractRoutes(service),
    ...oipRoutes(service, { modelName: settings.oipModelName, version: settings.version }),
    ...healthRoutes(service),
    ...docsRoutes(settings.version),
    ...settings.extraRoutes,
  ], routerDeps);

  const admin = uws.App();
  register(admin, [...healthRoutes(service), metricsRoute(deps.metrics)], { ...routerDeps, access: OPEN_ACCESS, corsOrigins: [], state: { inFlight: 0 } });

  const publicSocket = await listen(app, settings.host, settings.port);
  const adminSocket = await listen(admin, settings.adminHost, settings.adminPort);
  return {
    port: uws.us_socket_local_port(publicSocket),
    adminPort: uws.us_socket_local_port(adminSocket),
    tls: settings.tls !== undefined,
    get inFlight() {
      return exchanges.inFlight;
    },
    stream,
    stopListening() {
      uws.us_listen_socket_close(publicSocket);
      uws.us_listen_socket_close(adminSocket);
    },
    closeAll() {
      stream.closeAll();
    },
  };
}
