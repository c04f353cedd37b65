import { CATEGORIES, findProvince, PROVINCES, REGENCIES, ZSchemeSchema } from '@latih/contracts';
import { listSchemes } from '@latih/db';
import { z } from 'zod';
import { servicesOf } from '../../context';
import { publicProcedure } from '../../trpc';

export const categoriesRoute = publicProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/public/categories',
      tags: ['public'],
      summary: 'The course taxonomy',
      description: 'Category codes a course may use, with Indonesian and English names.',
    },
  })
  .input(z.object({}).optional())
  .output(z.object({ items: z.array(z.object({ code: z.string(), id: z.string(), en: z.string() })) }))
  .query(() => ({ items: CATEGORIES.map((c) => ({ ...c })) }));

export const regionsRoute = publicProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/public/regions',
      tags: ['public'],
      summary: "Indonesia's provinces and regencies/cities",
      description:
        'Official Kemendagri codes (province 32, regency 32.73) with each province’s time zone. Without provinceCode: the provinces; with it: that province’s regencies and cities.',
    },
  })
  .input(
    z
      .object({
        provinceCode: z
          .string()
          .regex(/^\d{2}$/)
          .optional(),
      })
      .optional(),
  )
  .output(
    z.object({
      items: z.array(
        z.object({
          code: z.string(),
          name: z.string(),
          timeZone: z.string(),
          provinceCode: z.string().nullable(),
        }),
      ),
    }),
  )
  .query(({ input }) => {
    const province = input?.provinceCode;
    if (!province)
      return {
        items: PROVINCES.map(([code, name, timeZone]) => ({ code, name, timeZone, provinceCode: null })),
      };
    const tz = findProvince(province)?.timeZone ?? 'Asia/Jakarta';
    return {
      items: REGENCIES.filter(([code]) => code.startsWith(`${province}.`)).map(([code, name]) => ({
        code,
        name,
        timeZone: tz,
        provinceCode: province,
      })),
    };
  });

export const schemesRoute = publicProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/public/schemes',
      tags: ['public'],
      summary: 'The program schemes and their rules',
      description:
        'Training balance, purchase window, minimum course hours, allowed modes, incentives, redemption window.',
    },
  })
  .input(z.object({}).optional())
  .output(z.object({ items: z.array(ZSchemeSchema) }))
  .query(async ({ ctx }) => ({ items: await listSchemes(servicesOf(ctx).db) }));
