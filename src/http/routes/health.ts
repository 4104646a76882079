// Health and metrics routes. Liveness is cheap and always 200 while the process serves; readiness
// is 200 only once the service is open (model loaded and warmed up), and 503 again while draining.
// Probes and scrapes are logged at debug (they would drown the request log at info).
import { GlinerError, drainingError, errorBody } from '../../errors.js';
import type { Metrics } from '../../metrics/registry.js';
import type { ServiceHost } from '../../service/host.js';
import { send, sendJson } from '../respond.js';
import type { Route } from '../router.js';

export function healthRoutes(service: Pick<ServiceHost, 'phase' | 'model' | 'failure'>): Route[] {
  return [
    {
      method: 'get', path: '/health/live', name: '/health/live', auth: false, body: false, quiet: true,
      handle(ctx) {
        sendJson(ctx.ex, 200, { status: 'live' });
      },
    },
    {
      method: 'get', path: '/health/ready', name: '/health/ready', auth: false, body: false, quiet: true,
      handle(ctx) {
        if (service.phase === 'ready') {
          sendJson(ctx.ex, 200, { status: 'ready', model: service.model });
          return;
        }
        const error = service.phase === 'draining'
          ? drainingError()
          : new GlinerError('NOT_READY', service.failure === undefined ? 'The model is loading.' : `The model failed to load: ${service.failure}`);
        sendJson(ctx.ex, 503, { status: service.phase, ...errorBody(error) }, [['Retry-After', '5']]);
      },
    },
  ];
}

export function metricsRoute(metrics: Metrics): Route {
  return {
    method: 'get', path: '/metrics', name: '/metrics', auth: false, body: false, quiet: true,
    async handle(ctx) {
      send(ctx.ex, 200, await metrics.render(), metrics.contentType);
    },
  };
}
