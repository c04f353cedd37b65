import { usePrefs } from '../i18n';
import { CLASS_WORDS } from './words-class';
import { COURSE_WORDS } from './words-courses';
import { MONEY_WORDS } from './words-money';
import { SHELL_WORDS } from './words-shell';

/**
 * The provider console's words, Bahasa Indonesia first, English switchable (the same preference
 * as the PMO console's). Each page group keeps its own dictionary; every key exists in both.
 */
const ALL = {
  id: { ...SHELL_WORDS.id, ...COURSE_WORDS.id, ...CLASS_WORDS.id, ...MONEY_WORDS.id },
  en: { ...SHELL_WORDS.en, ...COURSE_WORDS.en, ...CLASS_WORDS.en, ...MONEY_WORDS.en },
};
export type ProviderKey = keyof typeof ALL.id;

export function usePT() {
  const prefs = usePrefs();
  return { ...prefs, pt: (k: ProviderKey) => ALL[prefs.locale][k] };
}
