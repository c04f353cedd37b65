import { AppError, type TListOrganisationsInput, type TOrganisation } from '@latih/contracts';
import { type Db, listOrganisations as listOrganisationRows } from '@latih/db';
import type { Actor } from './auth/actor';

export function listOrganisations(opts: {
  db: Db;
  actor: Actor;
  input: TListOrganisationsInput;
}): Promise<{ items: TOrganisation[]; nextCursor: string | null }> {
  if (opts.actor.role !== 'pmo') throw new AppError('FORBIDDEN_ROLE');
  return listOrganisationRows(opts.db, opts.input);
}
