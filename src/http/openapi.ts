// The OpenAPI 3.1 document, assembled from the TypeBox schemas the validators use.
import { ERROR_CODES } from '../errors.js';
import { ExtractRequest } from '../inference/gliner2/schema.js';
import { BatchBody, BatchResponse, ErrorResponse, ExtractResponse, PredictBody, PredictResponse, StreamExtractMessage, StreamMessage } from './schemas.js';

const errorResponses = (statuses: number[]): Record<string, unknown> =>
  Object.fromEntries(statuses.map((status) => [String(status), {
    description: Object.entries(ERROR_CODES).filter(([, e]) => e.status === status).map(([code, e]) => `${code}: ${e.summary}`).join(' '),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  }]));

const timingHeaders = {
  'X-Request-Id': { schema: { type: 'string' }, description: 'The client\'s X-Request-Id, or a generated one.' },
  'X-Queue-Time': { schema: { type: 'number' }, description: 'Milliseconds the request\'s rows waited for a worker.' },
  'X-Inference-Time': { schema: { type: 'number' }, description: 'Milliseconds of model time of the batches that carried the request.' },
  'X-Total-Time': { schema: { type: 'number' }, description: 'Milliseconds inside the server.' },
  'RateLimit-Remaining': { schema: { type: 'integer' }, description: 'Requests left in the key\'s token bucket.' },
  'X-Cache': { schema: { type: 'string', enum: ['hit', 'miss', 'shared'] }, description: 'Result cache: hit (every text from memory), shared (none ran, some joined an identical text in flight), miss (some text ran). Absent when CACHE_MAX_BYTES=0. Send Cache-Control: no-cache to bypass.' },
  'X-Cache-Texts': { schema: { type: 'string' }, description: 'Texts per cache outcome, e.g. "hit=2, shared=0, miss=1".' },
  traceparent: { schema: { type: 'string' }, description: 'With tracing on (docs/tracing.md): the W3C traceparent of the request\'s span, continuing the traceparent/tracestate request headers when sent. Also on errors once the request reached the service.' },
};

function jsonBody(schema: string): unknown {
  return { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } } };
}

export function openApiDocument(version: string): unknown {
  const security = [{ ApiKey: [] }, { Bearer: [] }];
  return {
    openapi: '3.1.0',
    info: {
      title: 'GLiNER serving API',
      version,
      description: 'Named-entity recognition with GLiNER: give a text and the entity labels you want, get the spans. Real GLiNER checkpoints are zero-shot (any label); the embedded demo model (native-models/gliner-tiny, the default MODEL) is not: it finds the CoNLL-2003 and CrossNER types it was trained on, and other labels (date, drug) find little or nothing. GET /health/ready names the served model. Offsets count Unicode code points (Python string indices). Long texts are windowed, never truncated. A GLiNER2 model answers schemas instead, at POST /api/v1/extract.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        Bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: { PredictBody, PredictResponse, BatchBody, BatchResponse, StreamMessage, ExtractBody: ExtractRequest, ExtractResponse, StreamExtractMessage, Error: ErrorResponse },
    },
    paths: {
      '/api/v1/predict': {
        post: {
          summary: 'Find entities in one text',
          security,
          requestBody: jsonBody('PredictBody'),
          responses: {
            '200': { description: 'Entities found', headers: timingHeaders, content: { 'application/json': { schema: { $ref: '#/components/schemas/PredictResponse' } } } },
            ...errorResponses([400, 401, 413, 415, 429, 500, 503, 504]),
          },
        },
      },
      '/api/v1/predict/batch': {
        post: {
          summary: 'Find entities in several texts with the same labels',
          security,
          requestBody: jsonBody('BatchBody'),
          responses: {
            '200': { description: 'One result per text, in order', headers: timingHeaders, content: { 'application/json': { schema: { $ref: '#/components/schemas/BatchResponse' } } } },
            ...errorResponses([400, 401, 413, 415, 429, 500, 503, 504]),
          },
        },
      },
      '/api/v1/extract': {
        post: {
          summary: 'GLiNER2: answer a schema (entities, classifications, relations, structures) for one text',
          description: 'Served when the model is a GLiNER2 export (GET /health/ready says "kind": "gliner2"); a GLiNER model answers 400 WRONG_ENDPOINT here, as a GLiNER2 model does on /api/v1/predict. The result is upstream GLiNER2\'s extract() JSON for the schema. Texts over EXTRACT_CHUNK_WORDS words are chunked with overlap and merged as upstream\'s extract_long. Schema size limits (EXTRACT_MAX_*) answer 400 LIMIT_EXCEEDED naming the limit. See docs/gliner2.md.',
          security,
          requestBody: jsonBody('ExtractBody'),
          responses: {
            '200': { description: 'Upstream\'s extract() result', headers: timingHeaders, content: { 'application/json': { schema: { $ref: '#/components/schemas/ExtractResponse' } } } },
            ...errorResponses([400, 401, 413, 415, 429, 500, 503, 504]),
          },
        },
      },
      '/api/v1/stream': {
        get: {
          summary: 'WebSocket streaming NER',
          description: 'Upgrade to a WebSocket (API key in X-API-Key / Authorization at upgrade, or as the sub-protocol "bearer.<key>" next to "gliner.v1" for browsers). Send StreamMessage JSON messages; each is answered by one message per window `{"id","window","windows","entities","done":false}` as windows finish (window numbered from 0; windows may arrive in any order; offsets in the whole text), then `{"id","entities","truncated","done":true,"processing_time","cache"}` with the merged result (`cache` as X-Cache, absent with the cache off), or `{"id","error":{"code","message","retry_after"},"done":true}` (`retry_after` in seconds wherever HTTP would send Retry-After). Answers to different ids may arrive out of order. With tracing on, a message\'s traceparent/tracestate fields continue the caller\'s trace and its final answer or error carries a "traceparent" field.',
          security,
          responses: { '101': { description: 'Switching protocols' }, ...errorResponses([401, 429, 503]) },
        },
      },
      '/health/live': { get: { summary: 'Liveness', responses: { '200': { description: 'The process is serving' } } } },
      '/health/ready': { get: { summary: 'Readiness', responses: { '200': { description: 'Model loaded and warmed up' }, '503': { description: 'Starting or draining' } } } },
    },
  };
}
