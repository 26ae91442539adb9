// A small JSON Schema validator (the subset the functions use: type, properties, required,
// additionalProperties: false, items, enum, minItems/maxItems, minLength/maxLength,
// minimum/maximum). The AI output is validated with it before anything is used or saved.

export type Schema = {
  type: "object" | "array" | "string" | "integer" | "number" | "boolean";
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: Schema;
  enum?: (string | number)[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  description?: string;
};

/** The errors of `value` against `schema` ([] = valid), as "path: problem". */
export function validate(schema: Schema, value: unknown, path = "$"): string[] {
  const errors: string[] = [];
  const t = schema.type;
  const typeOk = t === "object"
    ? typeof value === "object" && value !== null && !Array.isArray(value)
    : t === "array"
    ? Array.isArray(value)
    : t === "integer"
    ? Number.isInteger(value)
    : t === "number"
    ? typeof value === "number" && Number.isFinite(value)
    : t === "string"
    ? typeof value === "string"
    : typeof value === "boolean";
  if (!typeOk) return [`${path}: expected ${t}`];
  if (schema.enum && !schema.enum.includes(value as string | number)) {
    errors.push(`${path}: not one of ${schema.enum.join(", ")}`);
  }
  if (t === "string") {
    const s = value as string;
    if (schema.minLength !== undefined && s.trim().length < schema.minLength) {
      errors.push(`${path}: shorter than ${schema.minLength}`);
    }
    if (schema.maxLength !== undefined && s.length > schema.maxLength) {
      errors.push(`${path}: longer than ${schema.maxLength}`);
    }
  }
  if (t === "integer" || t === "number") {
    const n = value as number;
    if (schema.minimum !== undefined && n < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && n > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
  }
  if (t === "array") {
    const a = value as unknown[];
    if (schema.minItems !== undefined && a.length < schema.minItems) {
      errors.push(`${path}: fewer than ${schema.minItems} items`);
    }
    if (schema.maxItems !== undefined && a.length > schema.maxItems) {
      errors.push(`${path}: more than ${schema.maxItems} items`);
    }
    if (schema.items) a.forEach((v, i) => errors.push(...validate(schema.items!, v, `${path}[${i}]`)));
  }
  if (t === "object") {
    const o = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in o)) errors.push(`${path}.${k}: required`);
    for (const [k, v] of Object.entries(o)) {
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(sub, v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${k}: not allowed`);
    }
  }
  return errors;
}

/** The schema as OpenAI's strict structured output accepts it: every property required, no
 * additional properties, and only the keywords it supports (the bounds are checked here). */
export function providerSchema(schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = { type: schema.type };
  if (schema.description) out.description = schema.description;
  if (schema.enum) out.enum = schema.enum;
  if (schema.items) out.items = providerSchema(schema.items);
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, providerSchema(v)]));
    out.required = Object.keys(schema.properties);
    out.additionalProperties = false;
  }
  return out;
}
