import type { TCreateCourseInput, TSessionInput } from '@latih/contracts';
import type { Harness, Who } from './harness';

const DAY = 86_400_000;

/** A UTC instant `days` from now at `hourUtc`:00, on a whole hour so sums stay exact. */
export function future(days: number, hourUtc = 1, minutes = 0): Date {
  const d = new Date(Date.now() + days * DAY);
  d.setUTCHours(hourUtc, minutes, 0, 0);
  return d;
}

export const bandung = {
  name: 'Balai Latihan Kerja Bandung',
  address: 'Jl. Jenderal Gatot Subroto No. 170, Bandung',
  regencyCode: '32.73',
  latitude: -6.9175,
  longitude: 107.6191,
  accessibility: 'Ramp at the main entrance; classroom on the ground floor',
};

export const makassar = {
  name: 'Gedung Pelatihan Makassar',
  address: 'Jl. A. P. Pettarani No. 5, Makassar',
  regencyCode: '73.71',
  latitude: -5.1477,
  longitude: 119.4327,
  accessibility: 'Lift to the second floor',
};

/** `count` sessions of `hoursEach` on consecutive days from `startDay`, 08:00 WIB onwards. */
export function sessions(
  count: number,
  hoursEach: number,
  opts: {
    startDay?: number;
    mode?: 'ONLINE' | 'LURING';
    venue?: typeof bandung | null;
    timeZone?: TSessionInput['timeZone'];
  } = {},
): TSessionInput[] {
  const start = opts.startDay ?? 30;
  return Array.from({ length: count }, (_, i) => {
    const startsAt = future(start + i, 1);
    const endsAt = new Date(startsAt.getTime() + hoursEach * 3_600_000);
    const mode = opts.mode ?? 'LURING';
    return {
      sequence: i + 1,
      mode,
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
      timeZone: opts.timeZone ?? 'Asia/Jakarta',
      ...(mode === 'LURING' && opts.venue !== null ? { venue: opts.venue ?? bandung } : {}),
      ...(mode === 'ONLINE' ? { meetingUrl: 'https://meet.example.id/kelas-123' } : {}),
    };
  });
}

export const fullCourse = {
  title: 'Pengolahan Keripik Pisang untuk Usaha Rumahan',
  summary: 'Membuat, mengemas dan menjual keripik pisang yang layak jual',
  description: 'Dari memilih pisang hingga menghitung harga pokok dan memasarkan.',
  category: 'food-processing',
  competencyCodes: ['C.107900.001.01'],
  occupationCodes: ['7512'],
  learningOutcomes: [
    'Memilih pisang dan bahan yang tepat',
    'Menggoreng dan membumbui keripik dengan aman',
    'Mengemas dan menghitung harga pokok produksi',
  ],
  mode: 'LURING',
  hours: 16,
  price: 1_500_000,
  language: 'id',
  completionRule: { minAttendancePercent: 100, postTestPassScore: 70, assignmentRequired: true },
  certificateTemplate: {
    title: 'Sertifikat Pengolahan Keripik Pisang',
    signatoryName: 'Dr. Siti Rahmawati',
    signatoryTitle: 'Direktur Lembaga',
    skills: ['Pengolahan pangan'],
  },
} satisfies TCreateCourseInput;

/** A course with one LURING run (4 × 4 h in Bandung), submitted and approved; the run not yet open. */
export async function publishedCourse(
  h: Harness,
  who: Who = 'providerA',
  over: Partial<TCreateCourseInput> = {},
  /** The run's first day, counted from now (default 30). */
  startDay?: number,
) {
  const provider = h.caller(who);
  const course = await provider.provider.courses.create({
    ...fullCourse,
    title: `${fullCourse.title} ${Math.random()}`,
    ...over,
  });
  const run = await provider.provider.runs.create({
    courseId: course.id,
    capacity: 20,
    sessions: sessions(4, 4, startDay !== undefined ? { startDay } : {}),
  });
  await provider.provider.courses.submit({ id: course.id });
  const published = await h.caller('pmo').pmo.curation.approve({ id: course.id });
  return { course: published, run };
}
