import { z } from 'zod';
import { pageOf, ZTimestampSchema } from './common';
import { idSchema } from './ids';

/*
 * Alumni communities (issue 22, must-show 3; docs/guides/communities.md). The program office forms
 * one community per province or regency and appoints its leaders (kapten) among its members;
 * participants who completed a course join through a platform they bought it on, by opting in; the
 * PMO records what the community does: a Kumpul Jasa ("Kumpul Jadi Bisa Bareng Prakerja"), where
 * alumni help local small businesses (UMKM) get a business id (NIB), a logo, a social-media presence.
 */

export const COMMUNITY_EVENT_KINDS = ['KUMPUL_JASA', 'MEETUP', 'TRAINING'] as const;
export const BUSINESS_HELP_KINDS = [
  'BUSINESS_ID',
  'LOGO',
  'SOCIAL_MEDIA',
  'PRODUCT_PHOTOS',
  'ONLINE_STORE',
  'BOOKKEEPING',
  'PACKAGING',
  'HALAL_CERTIFICATION',
  'OTHER',
] as const;

export const ZRegionCodeSchema = z
  .string()
  .regex(/^\d{2}(\.\d{2})?$/, { message: 'A province code such as 32 or a regency/city code such as 32.73' })
  .meta({ description: 'A province (32) or a regency/city (32.73), by its official code', example: '32.73' });

const name = z.string().trim().min(3).max(200);

export const ZCreateCommunityInputSchema = z.object({
  regionCode: ZRegionCodeSchema.meta({
    description: 'The province or regency/city the community gathers; one community per region',
  }),
  name: name.meta({ example: 'Komunitas Alumni Prakerja Kota Bandung' }),
});
export type TCreateCommunityInput = z.infer<typeof ZCreateCommunityInputSchema>;

export const ZCommunitySchema = z
  .object({
    id: idSchema('community'),
    regionCode: z.string(),
    regionLevel: z.enum(['PROVINCE', 'REGENCY']),
    regionName: z.string().meta({ example: 'Kota Bandung' }),
    provinceCode: z.string().meta({ description: 'The province, itself for a province community' }),
    name: z.string(),
    members: z.number().int().meta({ description: 'Current members (opted in, not left)' }),
    captains: z.number().int().meta({ description: 'Current community leaders (kapten)' }),
    events: z.number().int().meta({ description: 'Events recorded' }),
    createdAt: ZTimestampSchema,
  })
  .meta({ id: 'Community' });
export type TCommunity = z.infer<typeof ZCommunitySchema>;

export const ZListCommunitiesInputSchema = z.object({
  provinceCode: z
    .string()
    .regex(/^\d{2}$/, { message: 'A two-digit province code such as 32' })
    .optional()
    .meta({ description: 'Only this province and its regencies' }),
  limit: z.coerce.number<number>().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(200).optional(),
});
export const ZCommunityPageSchema = pageOf(ZCommunitySchema);

export const ZCommunityIdInputSchema = z.object({ communityId: idSchema('community') });

export const ZCommunityMemberSchema = z
  .object({
    participantId: idSchema('participant'),
    name: z.string(),
    nikLast4: z.string().meta({ description: 'The last 4 digits of the NIK: the NIK never leaves in full' }),
    regencyCode: z.string(),
    joinedAt: ZTimestampSchema,
    joinedThrough: z.string().meta({ description: 'The platform the participant opted in through' }),
    captainSince: ZTimestampSchema.nullable().meta({ description: 'Set while they are a kapten' }),
  })
  .meta({ id: 'CommunityMember' });
export type TCommunityMember = z.infer<typeof ZCommunityMemberSchema>;

export const ZCommunityBusinessSchema = z
  .object({
    name: z.string().trim().min(1).max(200).meta({ example: 'Keripik Bu Sri' }),
    sector: z.string().trim().min(1).max(100).meta({ example: 'Makanan ringan' }),
    help: z
      .array(z.enum(BUSINESS_HELP_KINDS))
      .min(1)
      .max(BUSINESS_HELP_KINDS.length)
      .refine((h) => new Set(h).size === h.length, { message: 'Each kind of help once' })
      .meta({
        description:
          'What the alumni did for the business: BUSINESS_ID (its NIB through OSS), LOGO, SOCIAL_MEDIA (accounts set up), PRODUCT_PHOTOS, ONLINE_STORE, BOOKKEEPING, PACKAGING, HALAL_CERTIFICATION, OTHER (say what in `note`: required with OTHER)',
      }),
    note: z
      .string()
      .trim()
      .max(1000)
      .optional()
      .meta({ description: 'What was done; required when `help` has OTHER' }),
  })
  .meta({ id: 'CommunityBusiness' });

export const ZRecordCommunityEventInputSchema = z
  .object({
    communityId: idSchema('community'),
    kind: z.enum(COMMUNITY_EVENT_KINDS).meta({
      description:
        'KUMPUL_JASA: alumni help local small businesses (name the businesses); MEETUP: a gathering (temu alumni); TRAINING: a session for the alumni',
    }),
    title: z.string().trim().min(3).max(200).meta({ example: 'Kumpul Jasa Jember' }),
    heldOn: z.iso
      .date()
      .meta({ description: 'The WIB day it was held (not after today)', example: '2026-02-03' }),
    place: z
      .string()
      .trim()
      .min(3)
      .max(300)
      .meta({ example: 'Hotel Aston, Jl. Sentot Prawirodirjo, Jember' }),
    alumniTookPart: z.number().int().min(0).max(1_000_000).meta({ description: 'Alumni who took part' }),
    businesses: z.array(ZCommunityBusinessSchema).max(1000).default([]),
    note: z.string().trim().max(2000).optional(),
  })
  .refine((e) => e.kind !== 'KUMPUL_JASA' || e.businesses.length > 0, {
    message: 'A Kumpul Jasa names the businesses helped',
    path: ['businesses'],
  })
  .superRefine((e, ctx) => {
    // OTHER says what in `note` (checked on input only: the output schema reads what was stored).
    e.businesses.forEach((b, i) => {
      if (b.help.includes('OTHER') && !b.note)
        ctx.addIssue({
          code: 'custom',
          path: ['businesses', i, 'note'],
          message: 'Help of kind OTHER says what in note',
        });
    });
  });
export type TRecordCommunityEventInput = z.infer<typeof ZRecordCommunityEventInputSchema>;

export const ZCommunityEventSchema = z
  .object({
    id: idSchema('communityEvent'),
    communityId: idSchema('community'),
    kind: z.enum(COMMUNITY_EVENT_KINDS),
    title: z.string(),
    heldOn: z.iso.date(),
    place: z.string(),
    alumniTookPart: z.number().int(),
    businesses: z.array(ZCommunityBusinessSchema),
    note: z.string().nullable(),
    recordedAt: ZTimestampSchema,
  })
  .meta({ id: 'CommunityEvent' });
export type TCommunityEvent = z.infer<typeof ZCommunityEventSchema>;

export const ZListCommunityEventsInputSchema = z.object({
  communityId: idSchema('community').optional(),
  limit: z.coerce.number<number>().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});
export const ZCommunityEventPageSchema = pageOf(ZCommunityEventSchema);

export const ZCommunityDetailSchema = z
  .object({
    community: ZCommunitySchema,
    captains: z.array(ZCommunityMemberSchema),
    recentEvents: z.array(ZCommunityEventSchema).meta({ description: 'The 10 most recent, newest first' }),
    helped: z.object({
      businesses: z.number().int().meta({ description: 'Businesses helped at its events, in all' }),
      byHelp: z.record(z.string(), z.number().int()).meta({
        description: 'Businesses per kind of help (BUSINESS_ID: how many got their NIB, …)',
      }),
    }),
  })
  .meta({ id: 'CommunityDetail' });
export type TCommunityDetail = z.infer<typeof ZCommunityDetailSchema>;

export const ZCommunityMembersInputSchema = z.object({
  communityId: idSchema('community'),
  limit: z.coerce.number<number>().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(200).optional(),
});
export const ZCommunityMemberPageSchema = pageOf(ZCommunityMemberSchema);

export const ZCaptainInputSchema = z.object({
  communityId: idSchema('community'),
  participantId: idSchema('participant'),
});

/* Platforms: the participant named by a voucher the platform sold. */

const voucherId = idSchema('voucher').meta({
  description:
    'A voucher you sold: the participant it was sold to is the one acting (no card number or other personal data in the request)',
});

export const ZJoinCommunityInputSchema = z.object({
  voucherId,
  communityId: idSchema('community'),
  consent: z.literal(true, { message: 'The participant must opt in: send consent: true' }).meta({
    description:
      'The participant asked to join and agreed that the program office and the community leaders may contact them: true, or nothing is written',
  }),
});
export const ZLeaveCommunityInputSchema = z.object({ voucherId, communityId: idSchema('community') });
export const ZCommunitiesForParticipantInputSchema = z.object({ voucherId });

export const ZParticipantCommunitySchema = z
  .object({
    communityId: idSchema('community'),
    regionCode: z.string(),
    regionLevel: z.enum(['PROVINCE', 'REGENCY']),
    regionName: z.string(),
    name: z.string(),
    member: z.boolean(),
    joinedAt: ZTimestampSchema.nullable(),
    captain: z.boolean().meta({ description: 'The participant is one of its leaders (kapten)' }),
  })
  .meta({ id: 'ParticipantCommunity' });
export type TParticipantCommunity = z.infer<typeof ZParticipantCommunitySchema>;

export const ZCommunitiesForParticipantSchema = z.object({
  participantId: idSchema('participant'),
  regencyCode: z.string(),
  alumnus: z.boolean().meta({
    description:
      'The participant completed a course on a voucher you sold, so may join through you (what they did elsewhere is not yours to see)',
  }),
  communities: z.array(ZParticipantCommunitySchema).meta({
    description: "The communities of the participant's province and regency (those formed so far)",
  }),
});
export type TCommunitiesForParticipant = z.infer<typeof ZCommunitiesForParticipantSchema>;

export const ZLeftCommunitySchema = z.object({
  communityId: idSchema('community'),
  leftAt: ZTimestampSchema,
  wasCaptain: z.boolean(),
});

/* Public statistics: alumni by region. */

export const ZAlumniStatisticsInputSchema = z.object({
  provinceCode: z
    .string()
    .regex(/^\d{2}$/, { message: 'A two-digit province code such as 32' })
    .optional()
    .meta({ description: 'By regency within this province; by province when absent' }),
});

const alumniCount = z
  .number()
  .int()
  .nullable()
  .meta({ description: 'null when suppressed (fewer than 10 people, or to protect such a cell)' });

export const ZAlumniStatisticsRowSchema = z.object({
  key: z.string().meta({ description: 'The province or regency code' }),
  label: z.string(),
  alumni: alumniCount.meta({
    description: 'Participants of the region who completed at least one course. null when suppressed',
  }),
  communityMembers: alumniCount.meta({
    description:
      "Alumni of the region who are members of a community (theirs or their province's). null when suppressed",
  }),
  communities: z
    .number()
    .int()
    .meta({ description: 'Communities formed in the region (not people: never suppressed)' }),
});
export type TAlumniStatisticsRow = z.infer<typeof ZAlumniStatisticsRowSchema>;

export const ZAlumniStatisticsSchema = z
  .object({
    provinceCode: z.string().nullable(),
    suppressedBelow: z.number().int(),
    rows: z.array(ZAlumniStatisticsRowSchema),
    totals: ZAlumniStatisticsRowSchema.omit({ key: true, label: true }),
    generatedAt: ZTimestampSchema,
  })
  .meta({ id: 'AlumniStatistics' });
export type TAlumniStatistics = z.infer<typeof ZAlumniStatisticsSchema>;
