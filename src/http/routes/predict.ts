// POST /api/v1/predict and /api/v1/predict/batch: parse the body into a service request, hand it
// to the service, render its answer (each text's members spliced from the workers' JSON) with the
// per-stage timing headers and X-Cache.
import { answerMembers } from '../../service/answer.js';
import type { ServiceHost } from '../../service/host.js';
import { labelsOf, predictInputs, singleTextFields } from '../../service/wire.js';
import { send } from '../respond.js';
import type { Route } from '../router.js';
import { BatchBody, PredictBody } from '../schemas.js';
import { answerHeaders, answerTail, callerOf } from '../service-call.js';
import { validator } from '../validate.js';

const EMPTY = '"entities":[],"truncated":false';

export function predictRoutes(service: ServiceHost): Route[] {
  const predictBody = validator(PredictBody);
  const batchBody = validator(BatchBody);
  return [
    {
      method: 'post', path: '/api/v1/predict', name: '/api/v1/predict', auth: true, body: true,
      async handle(ctx, raw) {
        const body = predictBody.parse(raw ?? Buffer.alloc(0));
        const { labels, field } = labelsOf(body);
        const answer = await service.handle({ operation: 'predict', inputs: predictInputs([body.text], labels, body, body.relations), fields: singleTextFields(field) }, callerOf(ctx, 'rest', 'POST /api/v1/predict'));
        const text = answer.texts[0];
        send(ctx.ex, 200, `{${text === undefined ? EMPTY : answerMembers(text)},${answerTail(answer)}}`, 'application/json', answerHeaders(answer));
      },
    },
    {
      method: 'post', path: '/api/v1/predict/batch', name: '/api/v1/predict/batch', auth: true, body: true,
      async handle(ctx, raw) {
        const body = batchBody.parse(raw ?? Buffer.alloc(0));
        const { labels, field } = labelsOf(body);
        const fields = { text: (i: number) => `texts.${i}`, labels: field, texts: 'Field "texts"' };
        const answer = await service.handle({ operation: 'predict', inputs: predictInputs(body.texts, labels, body, body.relations), fields }, callerOf(ctx, 'batch', 'POST /api/v1/predict/batch'));
        const results = answer.texts.map((text) => `{${answerMembers(text)}}`).join(',');
        send(ctx.ex, 200, `{"results":[${results}],${answerTail(answer)}}`, 'application/json', answerHeaders(answer));
      },
    },
  ];
}
