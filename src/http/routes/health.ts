// Health and metrics routes. Liveness is cheap and always 200 while the process serves; readiness
// is 200 only once the model is loaded and warmed up, and 503 again while draining. Probes and scrapes
// are logged at debug (they would drown the request log at info).
import { GlinerError, errorBody } from '../../errors.js';
import type { Metrics } from '../../metrics/registry.js';
import { send, sendJson } from '../respond.js';
import type { Route } from '../router.js';
import type { ServerState } from '../state.js';

export function healthRoutes(state: ServerState): Route[] {
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
        if (state.phase === 'ready') {
          sendJson(ctx.ex, 200, { status: 'ready', model: state.model });
          return;
        }
        const error = state.phase === 'draining'
          ? new GlinerError('DRAINING', 'The server is shutting down.')
          : new GlinerError('NOT_READY', state.failure === undefined ? 'The model is loading.' : `The model failed to load: ${state.failure}`);
        sendJson(ctx.ex, 503, { status: state.phase, ...errorBody(error) }, [['Retry-After', '5']]);
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
