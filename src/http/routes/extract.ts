// POST /api/v1/extract (GLiNER2 schema extraction, docs/gliner2.md): parse the body into a service
// request, hand it to the service, render its answer — upstream's result JSON spliced in as the
// worker wrote it — with the per-stage timing headers and X-Cache, as /api/v1/predict does.
import { ExtractRequest } from '../../inference/gliner2/schema.js';
import { answerMembers, EXTRACT_MEMBERS } from '../../service/answer.js';
import type { ServiceHost } from '../../service/host.js';
import { extractInputs } from '../../service/wire.js';
import { send } from '../respond.js';
import type { Route } from '../router.js';
import { answerHeaders, answerTail, callerOf } from '../service-call.js';
import { validator } from '../validate.js';

export function extractRoutes(service: ServiceHost): Route[] {
  const body = validator(ExtractRequest);
  return [{
    method: 'post', path: '/api/v1/extract', name: '/api/v1/extract', auth: true, body: true,
    async handle(ctx, raw) {
      const request = body.parse(raw ?? Buffer.alloc(0));
      const answer = await service.handle({ operation: 'extract', inputs: extractInputs(request), fields: { text: 'text', schema: 'schema' } }, callerOf(ctx, 'rest', 'POST /api/v1/extract'));
      const text = answer.texts[0];
      const result = text === undefined ? '"result":{}' : answerMembers(text, false, EXTRACT_MEMBERS);
      send(ctx.ex, 200, `{${result},${answerTail(answer)}}`, 'application/json', answerHeaders(answer));
    },
  }];
}
