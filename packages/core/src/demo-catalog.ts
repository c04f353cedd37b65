import type { TCreateCourseInput, TSessionInput } from '@latih/contracts';
import { type Db, findCourseByExternalId } from '@latih/db';
import type { Actor } from './auth/actor';
import { createCourse, submitCourse } from './courses';
import { approveCourse } from './curation';
import { importParticipants } from './participants/import';
import type { RegistryVerifier } from './participants/registry';
import { createRun, openRun } from './runs';
import { DEMO_ORGANISATIONS } from './seed';

const DAY = 86_400_000;

function schedule(
  now: Date,
  o: {
    startDay: number;
    count: number;
    hours: number;
    hourUtc: number;
    timeZone: TSessionInput['timeZone'];
    venue?: TSessionInput['venue'];
    modes?: ('ONLINE' | 'LURING')[];
  },
): TSessionInput[] {
  return Array.from({ length: o.count }, (_, i) => {
    const start = new Date(now.getTime() + (o.startDay + i) * DAY);
    start.setUTCHours(o.hourUtc, 0, 0, 0);
    const mode = o.modes?.[i] ?? (o.venue ? 'LURING' : 'ONLINE');
    return {
      sequence: i + 1,
      mode,
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + o.hours * 3_600_000).toISOString(),
      timeZone: o.timeZone,
      ...(mode === 'LURING' && o.venue ? { venue: o.venue } : {}),
      ...(mode === 'ONLINE' ? { meetingUrl: `https://meet.example.id/demo-${o.startDay}-${i + 1}` } : {}),
    };
  });
}

const lampung = {
  name: 'Rumah Produksi UMKM Tanjung Karang',
  address: 'Jl. Raden Intan No. 88, Tanjung Karang, Bandar Lampung',
  regencyCode: '18.71',
  latitude: -5.4292,
  longitude: 105.2619,
  accessibility: 'Ground floor kitchen, step-free entrance',
};
const balikpapan = {
  name: 'Pusat Pelatihan K3 Balikpapan',
  address: 'Jl. Jenderal Sudirman No. 12, Balikpapan',
  regencyCode: '64.71',
  latitude: -1.2654,
  longitude: 116.8312,
  accessibility: 'Lift to all floors; safety gear in all sizes',
};
const makassar = {
  name: 'Balai Kursus Terampil Makassar',
  address: 'Jl. A. P. Pettarani No. 5, Makassar',
  regencyCode: '73.71',
  latitude: -5.1477,
  longitude: 119.4327,
  accessibility: 'Ramp at the side entrance',
};

type DemoCourse = {
  provider: 'provider-a' | 'provider-b';
  externalId: string;
  course: Omit<TCreateCourseInput, 'externalId'>;
  runs: { capacity: number; sessions: (now: Date) => TSessionInput[] }[];
  /** How far through the lifecycle the demo takes it. */
  stage: 'ON_SALE' | 'IN_REVIEW' | 'DRAFT';
};

const certificate = (title: string) => ({
  title,
  signatoryName: 'Dra. Wulan Sari, M.Pd.',
  signatoryTitle: 'Kepala Lembaga',
  skills: [],
});

export const DEMO_COURSES: DemoCourse[] = [
  {
    provider: 'provider-a',
    externalId: 'DEMO-KERIPIK-PISANG',
    stage: 'ON_SALE',
    course: {
      title: 'Pengolahan Keripik Pisang untuk Usaha Rumahan',
      summary: 'Membuat, mengemas dan menjual keripik pisang khas Lampung yang layak jual',
      description:
        'Praktik langsung di dapur produksi: bahan, penggorengan, bumbu, kemasan, izin PIRT dan harga pokok.',
      category: 'food-processing',
      competencyCodes: ['C.107900.001.01'],
      occupationCodes: ['7512'],
      learningOutcomes: [
        'Memilih pisang dan bahan baku yang tepat',
        'Menggoreng dan membumbui keripik secara higienis',
        'Mengemas produk dan menghitung harga pokok produksi',
      ],
      mode: 'LURING',
      hours: 16,
      price: 1_500_000,
      certificateTemplate: certificate('Sertifikat Pengolahan Keripik Pisang'),
    },
    runs: [
      {
        capacity: 20,
        sessions: (now) =>
          schedule(now, {
            startDay: 14,
            count: 4,
            hours: 4,
            hourUtc: 1,
            timeZone: 'Asia/Jakarta',
            venue: lampung,
          }),
      },
    ],
  },
  {
    provider: 'provider-a',
    externalId: 'DEMO-FOTOGRAFI',
    stage: 'ON_SALE',
    course: {
      title: 'Fotografi Produk untuk Pemula',
      summary: 'Memotret produk UMKM dengan ponsel dan cahaya alami untuk toko daring',
      category: 'photography',
      occupationCodes: ['3431'],
      learningOutcomes: [
        'Mengatur komposisi dan cahaya alami',
        'Memotret produk dengan ponsel secara konsisten',
        'Menyunting foto untuk etalase toko daring',
      ],
      mode: 'WEBINAR',
      hours: 15,
      price: 900_000,
      certificateTemplate: certificate('Sertifikat Fotografi Produk'),
    },
    runs: [
      {
        capacity: 60,
        sessions: (now) =>
          schedule(now, { startDay: 10, count: 5, hours: 3, hourUtc: 12, timeZone: 'Asia/Jakarta' }),
      },
      // The morning class, starting the day after the evening one ends: when a sandbox has moved
      // through the first (a guide takes a participant to a certificate), the webinar is still on
      // sale, and its window opens before the demo participants' 15-day purchase window closes.
      {
        capacity: 60,
        sessions: (now) =>
          schedule(now, { startDay: 15, count: 5, hours: 3, hourUtc: 0, timeZone: 'Asia/Jakarta' }),
      },
    ],
  },
  {
    provider: 'provider-b',
    externalId: 'DEMO-K3-MIGAS',
    stage: 'ON_SALE',
    course: {
      title: 'K3 Migas: Keselamatan Kerja Dasar Industri Minyak dan Gas',
      summary: 'Keselamatan dan kesehatan kerja untuk calon pekerja minyak dan gas bumi',
      category: 'occupational-safety',
      competencyCodes: ['B.090000.001.01'],
      occupationCodes: ['8111'],
      learningOutcomes: [
        'Mengenali bahaya di area kerja migas',
        'Menggunakan alat pelindung diri dengan benar',
        'Menjalankan prosedur tanggap darurat',
      ],
      mode: 'HYBRID',
      hours: 20,
      price: 2_500_000,
      completionRule: { minAttendancePercent: 100, postTestPassScore: 80, assignmentRequired: true },
      certificateTemplate: certificate('Sertifikat K3 Migas Dasar'),
    },
    runs: [
      {
        capacity: 25,
        sessions: (now) =>
          schedule(now, {
            startDay: 21,
            count: 4,
            hours: 5,
            hourUtc: 0,
            timeZone: 'Asia/Makassar',
            venue: balikpapan,
            modes: ['ONLINE', 'ONLINE', 'LURING', 'LURING'],
          }),
      },
    ],
  },
  {
    provider: 'provider-b',
    externalId: 'DEMO-PEMASARAN-DIGITAL',
    stage: 'ON_SALE',
    course: {
      schemeId: 'PRAKERJA_2020',
      title: 'Pemasaran Digital untuk Usaha Kecil',
      summary: 'Menjual lewat media sosial dan marketplace, belajar mandiri kapan saja',
      category: 'digital-marketing',
      occupationCodes: ['2431'],
      learningOutcomes: [
        'Menyusun profil usaha di media sosial',
        'Membuat konten promosi yang menarik',
        'Membaca data penjualan marketplace',
      ],
      mode: 'SELF_PACED',
      hours: 6,
      price: 500_000,
      completionRule: { minAttendancePercent: 0, postTestPassScore: 70, assignmentRequired: true },
      certificateTemplate: certificate('Sertifikat Pemasaran Digital'),
    },
    runs: [],
  },
  {
    provider: 'provider-b',
    externalId: 'DEMO-TATA-RIAS',
    stage: 'IN_REVIEW',
    course: {
      title: 'Tata Rias Pengantin Bugis',
      summary: 'Riasan dan busana pengantin adat Bugis-Makassar untuk usaha jasa rias',
      category: 'beauty-fashion',
      learningOutcomes: ['Merias wajah pengantin adat Bugis', 'Memasang busana dan aksesori adat'],
      mode: 'LURING',
      hours: 16,
      price: 2_000_000,
    },
    runs: [
      {
        capacity: 12,
        sessions: (now) =>
          schedule(now, {
            startDay: 28,
            count: 2,
            hours: 8,
            hourUtc: 0,
            timeZone: 'Asia/Makassar',
            venue: makassar,
          }),
      },
    ],
  },
];

function actorFor(key: string, role: Actor['role']): Actor {
  const org = DEMO_ORGANISATIONS.find((o) => o.key === key);
  if (!org) throw new Error(`no demo organisation ${key}`);
  const scopes = role === 'pmo' ? ['pmo:read', 'pmo:write'] : ['catalog:read', 'catalog:write'];
  return { organisationId: org.id, role, clientId: org.clientId, scopes: scopes as Actor['scopes'] };
}

/**
 * Realistic demo courses in several provinces and every mode, taken through the real lifecycle
 * (create, schedule, submit, approve, open). Idempotent: a course already there is left alone.
 */
export async function seedDemoCatalog(db: Db, now: Date = new Date()): Promise<number> {
  const pmo = actorFor('pmo', 'pmo');
  let created = 0;
  for (const demo of DEMO_COURSES) {
    const provider = actorFor(demo.provider, 'provider');
    if (await findCourseByExternalId(db, provider.organisationId, demo.externalId)) continue;
    await db.transaction(async (tx) => {
      const call = { db: tx, actor: provider, requestId: null, now };
      const course = await createCourse({ ...call, input: { ...demo.course, externalId: demo.externalId } });
      const runs = [];
      for (const r of demo.runs) {
        runs.push(
          await createRun({
            ...call,
            input: { courseId: course.id, capacity: r.capacity, sessions: r.sessions(now) },
          }),
        );
      }
      if (demo.stage === 'DRAFT') return;
      await submitCourse({ ...call, input: { id: course.id } });
      if (demo.stage === 'IN_REVIEW') return;
      await approveCourse({
        db: tx,
        actor: pmo,
        requestId: null,
        now,
        input: { id: course.id, note: 'Demo data' },
      });
      for (const run of runs) await openRun({ ...call, input: { id: run.id } });
    });
    created++;
  }
  return created;
}

/** Demo participants (made-up but plausible NIKs), so a checkout can be tried right after start. */
export const DEMO_PARTICIPANTS = [
  {
    nik: '3273015708950001',
    cardNumber: '5101000000000001',
    name: 'Siti Aminah',
    gender: 'F',
    birthDate: '1995-08-17',
    regencyCode: '32.73',
  },
  {
    nik: '1871011203900002',
    cardNumber: '5101000000000002',
    name: 'Budi Santoso',
    gender: 'M',
    birthDate: '1990-03-12',
    regencyCode: '18.71',
  },
  {
    nik: '7371016101980003',
    cardNumber: '5101000000000003',
    name: 'Andi Nurhaliza',
    gender: 'F',
    birthDate: '1998-01-21',
    regencyCode: '73.71',
  },
  {
    nik: '6471010507920004',
    cardNumber: '5101000000000004',
    name: 'Yohanes Kalalo',
    gender: 'M',
    birthDate: '1992-07-05',
    regencyCode: '64.71',
  },
] as const;

export async function seedDemoParticipants(
  db: Db,
  nikKey: Buffer,
  registry: RegistryVerifier | null,
  now: Date = new Date(),
): Promise<number> {
  const r = await importParticipants({
    db,
    actor: actorFor('pmo', 'pmo'),
    requestId: null,
    nikKey,
    registry,
    input: { cohort: 1, items: DEMO_PARTICIPANTS.map((p) => ({ ...p })) },
    now,
  });
  return r.summary.created;
}
