import type { TOrganisation } from '@latih/contracts';
import { type CourseRow, type Db, findCourseRow, findOrganisation } from '@latih/db';

/*
 * The two public documents a certificate points at: its issuer (`issuer.id`, the provider's Open
 * Badges Profile) and its achievement (`credentialSubject.achievement.id`, the course as an Open
 * Badges Achievement). A certificate embeds both as they were when it was issued; these answer what
 * they are now, at the same URLs, for anyone (no token).
 */

export const CREDENTIAL_CONTEXT = [
  'https://www.w3.org/ns/credentials/v2',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
];

/** Where a certificate's issuer and achievement live, under the gateway's public base URL. */
export const issuerUrl = (base: string, organisationId: string) =>
  `${base}/v1/public/organisations/${organisationId}`;
export const achievementUrl = (base: string, courseId: string) => `${base}/v1/public/courses/${courseId}`;

export function issuerProfileOf(provider: Pick<TOrganisation, 'id' | 'name'>, base: string) {
  return { id: issuerUrl(base, provider.id), type: ['Profile'], name: provider.name };
}

export function achievementOf(course: CourseRow, base: string) {
  const template = course.certificateTemplate;
  return {
    id: achievementUrl(base, course.id),
    type: ['Achievement'],
    achievementType: 'Certificate',
    name: course.title,
    description: course.summary,
    criteria: {
      narrative: `Completed ${course.durationMinutes / 60} hours of training under the course's completion rule.`,
    },
    ...(template?.skills.length ? { tag: template.skills } : {}),
    ...(course.competencyCodes.length
      ? {
          alignment: course.competencyCodes.map((code) => ({
            type: ['Alignment'],
            targetName: code,
            targetUrl: `https://skkni.kemnaker.go.id/unit/${encodeURIComponent(code)}`,
            targetFramework: 'SKKNI',
            targetCode: code,
          })),
        }
      : {}),
  };
}

export type TIssuerProfile = ReturnType<typeof issuerProfileOf> & { '@context': string[] };
export type TAchievement = ReturnType<typeof achievementOf> & { '@context': string[] };

/**
 * A provider's public profile: providers that were ever admitted (ACTIVE, or SUSPENDED: their
 * certificates stay valid). Applicants, rejected applicants, platforms and the program office have
 * none (undefined: not found).
 */
export async function publicIssuerProfile(opts: {
  db: Db;
  baseUrl: string;
  id: string;
}): Promise<TIssuerProfile | undefined> {
  const org = await findOrganisation(opts.db, opts.id);
  if (org?.kind !== 'PROVIDER' || (org.status !== 'ACTIVE' && org.status !== 'SUSPENDED')) return undefined;
  return { '@context': CREDENTIAL_CONTEXT, ...issuerProfileOf(org, opts.baseUrl) };
}

/**
 * A course as an achievement, with its provider's profile as creator: only courses that were ever
 * approved (a published course's content is what was approved; later edits are revisions until
 * approved). A draft, a course in review or a rejected one is not found, as everywhere else.
 */
export async function publicAchievement(opts: {
  db: Db;
  baseUrl: string;
  id: string;
}): Promise<(TAchievement & { creator: ReturnType<typeof issuerProfileOf> }) | undefined> {
  const course = await findCourseRow(opts.db, opts.id, { kind: 'all' });
  if (!course?.publishedAt) return undefined;
  const provider = await findOrganisation(opts.db, course.providerId);
  if (!provider) return undefined;
  return {
    '@context': CREDENTIAL_CONTEXT,
    ...achievementOf(course, opts.baseUrl),
    creator: issuerProfileOf(provider, opts.baseUrl),
  };
}
