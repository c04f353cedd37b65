/** The shipped course taxonomy (after the program's catalogue categories). Codes are stable. */
export const CATEGORIES = [
  { code: 'sales-marketing', id: 'Penjualan dan Pemasaran', en: 'Sales and marketing' },
  { code: 'digital-marketing', id: 'Pemasaran Digital', en: 'Digital marketing' },
  { code: 'it-software', id: 'Teknologi Informasi dan Perangkat Lunak', en: 'IT and software' },
  { code: 'data-office', id: 'Data dan Perkantoran', en: 'Data and office work' },
  { code: 'management', id: 'Manajemen dan Kewirausahaan', en: 'Management and entrepreneurship' },
  { code: 'finance-accounting', id: 'Keuangan dan Akuntansi', en: 'Finance and accounting' },
  { code: 'food-beverage', id: 'Makanan dan Minuman', en: 'Food and beverage' },
  { code: 'food-processing', id: 'Pengolahan Pangan', en: 'Food processing' },
  { code: 'agriculture-fisheries', id: 'Pertanian dan Perikanan', en: 'Agriculture and fisheries' },
  { code: 'tourism-hospitality', id: 'Pariwisata dan Perhotelan', en: 'Tourism and hospitality' },
  { code: 'languages', id: 'Bahasa Asing', en: 'Foreign languages' },
  {
    code: 'occupational-safety',
    id: 'Keselamatan dan Kesehatan Kerja (K3)',
    en: 'Occupational safety and health',
  },
  { code: 'manufacturing', id: 'Manufaktur dan Teknik', en: 'Manufacturing and engineering' },
  { code: 'construction', id: 'Konstruksi', en: 'Construction' },
  { code: 'automotive', id: 'Otomotif', en: 'Automotive' },
  { code: 'photography', id: 'Fotografi dan Videografi', en: 'Photography and video' },
  { code: 'design-creative', id: 'Desain dan Industri Kreatif', en: 'Design and creative industries' },
  { code: 'beauty-fashion', id: 'Kecantikan dan Busana', en: 'Beauty and fashion' },
  { code: 'health-care', id: 'Kesehatan dan Perawatan', en: 'Health and care' },
  { code: 'logistics', id: 'Logistik dan Transportasi', en: 'Logistics and transport' },
  { code: 'education', id: 'Pendidikan dan Pelatihan', en: 'Education and training' },
] as const;

export type TCategoryCode = (typeof CATEGORIES)[number]['code'];
export const CATEGORY_CODES = CATEGORIES.map((c) => c.code) as [TCategoryCode, ...TCategoryCode[]];
