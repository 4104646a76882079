// A text's answer, member by member: the one table every transport renders from. The worker made
// each member's JSON (TextAnswer), so rendering splices strings: `"entities":[…],"truncated":false`
// for the REST answer, the batch's results and the WebSocket's final message; one output tensor
// per member for the Open Inference Protocol; one property per member in the OpenAPI document. A
// new kind of answer (relations) is one more row here and one more field in TextAnswer. An extract
// answer (GLiNER2) has its own table, EXTRACT_MEMBERS: upstream's result, as the worker wrote it.
import { Type, type TSchema } from '@sinclair/typebox';
import type { TextAnswer } from '../worker/messages.js';

export interface AnswerMember {
  /** JSON member name, and the output tensor's name in the Open Inference Protocol. */
  readonly name: string;
  /** Its Open Inference Protocol datatype: BYTES elements carry the member's JSON as a string. */
  readonly datatype: 'BYTES' | 'BOOL';
  /** Its schema in the OpenAPI document. */
  readonly schema: TSchema;
  /** Also sent with each window of a long text (the WebSocket's partial answers). */
  readonly partial: boolean;
  /** The request field that asks for this member (absent: always answered); the OIP input of that name. */
  readonly askedWith?: string;
  /** The member's JSON; undefined leaves it out of this answer. */
  json(answer: TextAnswer): string | undefined;
}

export const EntitySchema = Type.Object({
  text: Type.String({ description: 'The entity as written in the input.' }),
  start: Type.Integer({ description: 'Start offset in Unicode code points.' }),
  end: Type.Integer({ description: 'End offset (exclusive) in Unicode code points.' }),
  entity_type: Type.String({ description: 'The label, as given in the request.' }),
  score: Type.Number(),
});

/** A relation's end: an entity of the same answer, by index, with its fields repeated. */
const RelationEndSchema = Type.Object({
  entity: Type.Integer({ description: 'Index of the entity in this answer\'s "entities".' }),
  text: Type.String(),
  start: Type.Integer({ description: 'Start offset in Unicode code points.' }),
  end: Type.Integer({ description: 'End offset (exclusive) in Unicode code points.' }),
  entity_type: Type.String(),
});

export const RelationSchema = Type.Object({
  head: RelationEndSchema,
  tail: RelationEndSchema,
  relation: Type.String({ description: 'The relation label, as given in the request.' }),
  score: Type.Number(),
});

export const ANSWER_MEMBERS: readonly AnswerMember[] = [
  { name: 'entities', datatype: 'BYTES', partial: true, schema: Type.Array(EntitySchema), json: (answer) => answer.json },
  {
    name: 'truncated', datatype: 'BOOL', partial: false,
    schema: Type.Boolean({ description: 'True when the text had more than MAX_ENTITIES_PER_TEXT entities: the answer holds the best-scoring ones, those GLiNER\'s decoder keeps first.' }),
    json: (answer) => (answer.truncated ? 'true' : 'false'),
  },
  // Only when the request asked for relations (docs/relations.md); a window update carries its own.
  { name: 'relations', datatype: 'BYTES', partial: true, askedWith: 'relations', schema: Type.Array(RelationSchema, { description: 'Relation-extraction models, when the request gives "relations": the relations between this answer\'s entities.' }), json: (answer) => answer.relations?.json },
];

export const EXTRACT_MEMBERS: readonly AnswerMember[] = [
  {
    name: 'result', datatype: 'BYTES', partial: false,
    schema: Type.Record(Type.String(), Type.Unknown(), {
      description: 'Upstream GLiNER2\'s extract() result for the schema, key for key (json.dumps of it: tuples as arrays). Top-level keys, in order: each structure\'s name, "entities", each classification\'s task, then "relation_extraction". Every value\'s shape: docs/gliner2.md.',
    }),
    json: (answer) => answer.json,
  },
];

/** The member table of an operation's answers. */
export const membersOf = (operation: 'predict' | 'extract'): readonly AnswerMember[] => (operation === 'extract' ? EXTRACT_MEMBERS : ANSWER_MEMBERS);

/** A text's answer as the members of a JSON object (no braces); `partial`: only the members a window update carries. */
export function answerMembers(answer: TextAnswer, partial = false, members: readonly AnswerMember[] = ANSWER_MEMBERS): string {
  let out = '';
  for (const member of members) {
    if (partial && !member.partial) continue;
    const json = member.json(answer);
    if (json === undefined) continue;
    out += `${out === '' ? '' : ','}"${member.name}":${json}`;
  }
  return out;
}

/** The per-text answer's OpenAPI schema, from the same table. */
export function answerProperties(members: readonly AnswerMember[] = ANSWER_MEMBERS): Record<string, TSchema> {
  return Object.fromEntries(members.map((member) => [member.name, member.askedWith === undefined ? member.schema : Type.Optional(member.schema)]));
}
