import { createContext, type ReactNode, useContext, useState } from 'react';
import type { Zone } from './format';

/** Bahasa Indonesia first; English for staff who prefer it. Every key exists in both. */
const id = {
  appName: 'Konsol PMO Latih',
  signIn: 'Masuk',
  signOut: 'Keluar',
  email: 'Surel',
  password: 'Kata sandi',
  signInFailed: 'Surel atau kata sandi salah.',
  locked: 'Terlalu banyak percobaan. Akun dikunci sementara.',
  language: 'Bahasa',
  timeZone: 'Zona waktu',
  curation: 'Kurasi',
  reports: 'Laporan',
  signals: 'Sinyal kecurangan',
  cases: 'Kasus',
  statistics: 'Statistik',
  audit: 'Log audit',
  title: 'Judul',
  provider: 'Lembaga',
  mode: 'Moda',
  submitted: 'Diajukan',
  open: 'Buka',
  approve: 'Setujui',
  reject: 'Tolak',
  reasons: 'Alasan',
  note: 'Catatan',
  runs: 'Jadwal kelas',
  indicators: 'Indikator',
  price: 'Harga',
  hours: 'Jam',
  approved: 'Disetujui: kursus kini tayang.',
  rejected: 'Ditolak dengan alasan.',
  emptyQueue: 'Tidak ada kursus yang menunggu.',
  type: 'Jenis',
  score: 'Skor',
  summary: 'Ringkasan',
  status: 'Status',
  evidence: 'Bukti',
  scoring: 'Cara penilaian',
  openCase: 'Buka kasus',
  detect: 'Jalankan deteksi',
  timeline: 'Linimasa',
  requestEvidence: 'Minta bukti',
  question: 'Pertanyaan',
  decide: 'Putuskan',
  outcome: 'Keputusan',
  reason: 'Alasan',
  dimension: 'Dimensi',
  participants: 'Peserta',
  completions: 'Lulus',
  certificates: 'Sertifikat',
  incentivesPaid: 'Insentif dibayar',
  downloadCsv: 'Unduh CSV',
  from: 'Dari',
  to: 'Sampai',
  sold: 'Terjual',
  redeemed: 'Ditukar',
  completionRate: 'Tingkat kelulusan',
  rating: 'Rating',
  refunds: 'Pengembalian',
  openCases: 'Kasus terbuka',
  action: 'Aksi',
  entity: 'Entitas',
  when: 'Waktu',
  who: 'Pelaku',
  change: 'Perubahan',
  more: 'Muat lagi',
  filter: 'Saring',
  loading: 'Memuat…',
  error: 'Terjadi kesalahan',
  save: 'Simpan',
  back: 'Kembali',
  trend: 'Tren mingguan',
  courses: 'Kursus',
  medianDays: 'Median hari hingga lulus',
  money: 'Pembayaran',
  settlements: 'Penyelesaian dana lembaga dan platform',
  incentives: 'Insentif peserta',
  amount: 'Jumlah',
  retry: 'Coba lagi',
  webhooks: 'Pengiriman webhook',
} as const;

export type Key = keyof typeof id;

const en: Record<Key, string> = {
  appName: 'Latih PMO console',
  signIn: 'Sign in',
  signOut: 'Sign out',
  email: 'E-mail',
  password: 'Password',
  signInFailed: 'Wrong e-mail or password.',
  locked: 'Too many attempts. The account is locked for a while.',
  language: 'Language',
  timeZone: 'Time zone',
  curation: 'Curation',
  reports: 'Reports',
  signals: 'Fraud signals',
  cases: 'Cases',
  statistics: 'Statistics',
  audit: 'Audit log',
  title: 'Title',
  provider: 'Provider',
  mode: 'Mode',
  submitted: 'Submitted',
  open: 'Open',
  approve: 'Approve',
  reject: 'Reject',
  reasons: 'Reasons',
  note: 'Note',
  runs: 'Runs',
  indicators: 'Indicators',
  price: 'Price',
  hours: 'Hours',
  approved: 'Approved: the course is now on sale.',
  rejected: 'Rejected with reasons.',
  emptyQueue: 'No course is waiting.',
  type: 'Type',
  score: 'Score',
  summary: 'Summary',
  status: 'Status',
  evidence: 'Evidence',
  scoring: 'Scoring',
  openCase: 'Open a case',
  detect: 'Run detection',
  timeline: 'Timeline',
  requestEvidence: 'Request evidence',
  question: 'Question',
  decide: 'Decide',
  outcome: 'Outcome',
  reason: 'Reason',
  dimension: 'Dimension',
  participants: 'Participants',
  completions: 'Completions',
  certificates: 'Certificates',
  incentivesPaid: 'Incentives paid',
  downloadCsv: 'Download CSV',
  from: 'From',
  to: 'To',
  sold: 'Sold',
  redeemed: 'Redeemed',
  completionRate: 'Completion rate',
  rating: 'Rating',
  refunds: 'Refunds',
  openCases: 'Open cases',
  action: 'Action',
  entity: 'Entity',
  when: 'When',
  who: 'Actor',
  change: 'Change',
  more: 'Load more',
  filter: 'Filter',
  loading: 'Loading…',
  error: 'Something went wrong',
  save: 'Save',
  back: 'Back',
  trend: 'Week by week',
  courses: 'Courses',
  medianDays: 'Median days to complete',
  money: 'Payouts',
  settlements: 'Settlements to providers and platforms',
  incentives: 'Participant incentives',
  amount: 'Amount',
  retry: 'Retry',
  webhooks: 'Webhook deliveries',
};

export const DICTIONARIES = { id, en } as const;
export type Locale = keyof typeof DICTIONARIES;

type Prefs = { locale: Locale; zone: Zone; setLocale: (l: Locale) => void; setZone: (z: Zone) => void };
const PrefsContext = createContext<Prefs | null>(null);

function stored<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
  const v = globalThis.localStorage?.getItem(key);
  return v && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

export function PrefsProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(() => stored('latih.locale', ['id', 'en'], 'id'));
  const [zone, setZoneState] = useState<Zone>(() => stored('latih.zone', ['WIB', 'WITA', 'WIT'], 'WIB'));
  const setLocale = (l: Locale) => {
    localStorage.setItem('latih.locale', l);
    document.documentElement.lang = l;
    setLocaleState(l);
  };
  const setZone = (z: Zone) => {
    localStorage.setItem('latih.zone', z);
    setZoneState(z);
  };
  return (
    <PrefsContext.Provider value={{ locale, zone, setLocale, setZone }}>{children}</PrefsContext.Provider>
  );
}

export function usePrefs(): Prefs & { t: (k: Key) => string } {
  const p = useContext(PrefsContext);
  if (!p) throw new Error('usePrefs outside PrefsProvider');
  return { ...p, t: (k) => DICTIONARIES[p.locale][k] };
}
