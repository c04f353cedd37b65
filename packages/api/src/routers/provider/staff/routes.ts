import {
  ZAddProviderStaffInputSchema,
  ZApiClientSchema,
  ZIssuedCredentialsSchema,
  ZProviderStaffIdInputSchema,
  ZProviderStaffMemberSchema,
  ZProviderStaffWithPasswordSchema,
  ZRevokeCredentialsInputSchema,
  ZRotateCredentialsInputSchema,
  ZSetProviderStaffRoleInputSchema,
} from '@latih/contracts';
import {
  addProviderStaff,
  disableProviderStaff,
  issueCredentials,
  listOwnCredentials,
  listProviderStaff,
  resetProviderStaffPassword,
  revokeCredentials,
  rotateCredentials,
  setProviderStaffRole,
} from '@latih/core';
import { z } from 'zod';
import { providerProcedure, router } from '../../../trpc';

const tags = ['provider', 'console'];
const consoleOnly =
  ' Only the provider’s admin signed in to the console may call it (an API client’s token gets CONSOLE_SESSION_REQUIRED).';
const read = (path: `/${string}`, summary: string, description: string) =>
  providerProcedure.meta({
    openapi: { method: 'GET', path, tags, summary, description: description + consoleOnly, protect: true },
  });
const write = (path: `/${string}`, summary: string, description: string) =>
  providerProcedure.meta({
    openapi: { method: 'POST', path, tags, summary, description: description + consoleOnly, protect: true },
  });

/** `provider.staff.*`: the provider's console accounts, managed by its admin. */
export const providerStaffRouter = router({
  list: read(
    '/provider/staff',
    'Your console staff',
    'Every account of your organisation, disabled ones too.',
  )
    .input(z.object({}).optional())
    .output(z.object({ items: z.array(ZProviderStaffMemberSchema) }))
    .query(({ ctx }) => listProviderStaff({ db: ctx.db, actor: ctx.actor, now: ctx.now })),
  add: write(
    '/provider/staff',
    'Add a staff member',
    'A new console account with a role (admin, instructor, finance). Its first password is in this answer only: hand it over in person or by a channel you trust.',
  )
    .input(ZAddProviderStaffInputSchema)
    .output(ZProviderStaffWithPasswordSchema)
    .mutation(({ ctx, input }) =>
      addProviderStaff({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  setRole: write(
    '/provider/staff/{id}/role',
    'Change a staff member’s role',
    'Takes effect on their next request. The last active admin cannot stop being one (LAST_ADMIN).',
  )
    .input(ZSetProviderStaffRoleInputSchema)
    .output(ZProviderStaffMemberSchema)
    .mutation(({ ctx, input }) =>
      setProviderStaffRole({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  resetPassword: write(
    '/provider/staff/{id}/reset-password',
    'Give a staff member a new password',
    'A new password in this answer only; the lockout is cleared and every session of the account ends.',
  )
    .input(ZProviderStaffIdInputSchema)
    .output(ZProviderStaffWithPasswordSchema)
    .mutation(({ ctx, input }) =>
      resetProviderStaffPassword({
        db: ctx.db,
        actor: ctx.actor,
        requestId: ctx.requestId,
        input,
        now: ctx.now,
      }),
    ),
  disable: write(
    '/provider/staff/{id}/disable',
    'Disable a staff account',
    'It can no longer sign in and its sessions end now; the audit log keeps what it did. The last active admin cannot be disabled (LAST_ADMIN).',
  )
    .input(ZProviderStaffIdInputSchema)
    .output(ZProviderStaffMemberSchema)
    .mutation(({ ctx, input }) =>
      disableProviderStaff({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
});

/** `provider.credentials.*`: the provider's own API clients, managed by its admin in the console. */
export const providerCredentialsRouter = router({
  list: read(
    '/provider/credentials',
    'Your API clients',
    'Each client with its label, scopes, the last four characters of its secret, and when it stops working (rotated or revoked). Never a secret.',
  )
    .input(z.object({}).optional())
    .output(z.object({ items: z.array(ZApiClientSchema) }))
    .query(({ ctx }) => listOwnCredentials({ db: ctx.db, actor: ctx.actor })),
  issue: write(
    '/provider/credentials',
    'Issue an API client',
    'A new client with your organisation’s scopes; the secret is in this answer only. A suspended provider keeps the clients it has and issues none (ORGANISATION_SUSPENDED).',
  )
    .input(z.object({ label: z.string().trim().min(1).max(100) }))
    .output(ZIssuedCredentialsSchema)
    .mutation(({ ctx, input }) =>
      issueCredentials({
        db: ctx.db,
        actor: ctx.actor,
        requestId: ctx.requestId,
        input: { organisationId: ctx.actor.organisationId, label: input.label },
        now: ctx.now,
      }),
    ),
  rotate: write(
    '/provider/credentials/{clientId}/rotate',
    'Rotate an API client',
    'A new client with the same scopes (its secret in this answer only); the old one works for graceHours more (0: stops at once).',
  )
    .input(ZRotateCredentialsInputSchema)
    .output(ZIssuedCredentialsSchema.extend({ previous: ZApiClientSchema }))
    .mutation(({ ctx, input }) =>
      rotateCredentials({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  revoke: write(
    '/provider/credentials/{clientId}/revoke',
    'Revoke an API client',
    'No new tokens; tokens already issued expire within their lifetime (15 minutes).',
  )
    .input(ZRevokeCredentialsInputSchema)
    .output(ZApiClientSchema)
    .mutation(({ ctx, input }) =>
      revokeCredentials({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
});
