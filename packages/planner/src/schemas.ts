/**
 * The structured answers the planner asks the model for, as zod schemas, and the shapes they give.
 */
import { z } from 'zod';

/** A name as the model writes it: non-empty, at most 128 characters. */
const name = z.string().trim().min(1).max(128);

/**
 * One requirement extracted from the PRD.
 * @public
 */
export const requirementSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'id must be 1..32 of [A-Za-z0-9_-]'),
  title: name,
  description: z.string().min(1).max(4_000),
  priority: z.enum(['must', 'should', 'could']),
});

/** The requirements answer. */
export const requirementsAnswerSchema = z.object({ requirements: z.array(requirementSchema).min(1).max(200) });

/**
 * One discovered domain.
 * @public
 */
export const domainSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'domain names are kebab-case: [a-z][a-z0-9-]{0,47}'),
  description: z.string().min(1).max(2_000),
  requirementIds: z.array(z.string()).max(200),
});

/** The domain discovery answer. */
export const domainsAnswerSchema = z.object({ domains: z.array(domainSchema).min(1).max(16) });

/**
 * A typed field (entity field, operation input, event field).
 * @public
 */
export const fieldSchema = z.object({ name, type: name, optional: z.boolean().optional() });

/**
 * A domain's contract: its entities, operations, events and what it requires from other domains.
 * @public
 */
export const domainContractSchema = z.object({
  domain: z.string().min(1),
  entities: z.array(z.object({ name, fields: z.array(fieldSchema).max(100) })).max(100),
  operations: z
    .array(z.object({ name, inputs: z.array(fieldSchema).max(50), output: name, errors: z.array(name).max(50) }))
    .max(100),
  events: z.array(z.object({ name, fields: z.array(fieldSchema).max(100) })).max(100),
  requires: z.array(z.object({ domain: z.string().min(1), name })).max(100),
});

/**
 * A requirement.
 * @public
 */
export type Requirement = z.infer<typeof requirementSchema>;
/**
 * A discovered domain (with the requirements assigned to it).
 * @public
 */
export type Domain = z.infer<typeof domainSchema>;
/**
 * A typed field.
 * @public
 */
export type ContractField = z.infer<typeof fieldSchema>;
/**
 * A domain's structured contract.
 * @public
 */
export type DomainContract = z.infer<typeof domainContractSchema>;
