import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { currentSession, type Session, setCsrf, signIn } from './api';
import type { Zone } from './format';
import { type Locale, usePrefs } from './i18n';
import { AuditPage } from './pages/audit';
import { CommunitiesPage, CommunityPage } from './pages/communities';
import { CourseReview, CurationQueue } from './pages/curation';
import { MoneyPage } from './pages/money';
import { OrganisationPage, OrganisationsPage } from './pages/organisations';
import { ProviderPage } from './pages/provider';
import { RegistryPage, RegistryParticipantPage } from './pages/registry';
import { ReportsPage } from './pages/reports';
import { CasePage, CasesPage, SignalsPage } from './pages/signals';
import { StatisticsPage } from './pages/statistics';
import { SurveysPage } from './pages/surveys';
import { WebhooksPage } from './pages/webhooks';
import { ProviderShell } from './provider/shell';
import { SessionContext } from './session';
import { SignOutButton } from './ui';

/** Hash routes: #/curation, #/curation/<courseId>, #/signals, #/cases, #/cases/<id>, #/statistics, #/communities, #/communities/<id>, #/reports, #/surveys, #/registry, #/registry/<participantId>, #/audit. */
const readRoute = () => window.location.hash.replace(/^#\/?/, '').split('/');

function useRoute(): string[] {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const on = () => setRoute(readRoute());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function App() {
  const session = useQuery({ queryKey: ['session'], queryFn: currentSession });
  if (session.isPending) return null;
  const s = session.data;
  if (!s) return <SignIn />;
  setCsrf(s.csrfToken);
  return s.audience === 'provider' ? <ProviderRoot session={s} /> : <Shell session={s} />;
}

function ProviderRoot({ session }: { session: Session }) {
  const route = useRoute();
  return <ProviderShell session={session} route={route[0] === '' ? [] : route} prefs={<Prefs />} />;
}

function SignIn() {
  const { t } = usePrefs();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const s = await signIn(String(form.get('email')), String(form.get('password')));
      setCsrf(s.csrfToken);
      qc.setQueryData(['session'], s);
    } catch (err) {
      setError((err as { code?: string }).code === 'STAFF_LOCKED' ? t('locked') : t('signInFailed'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>{t('appName')}</h1>
      <form onSubmit={submit} aria-describedby={error ? 'signin-error' : undefined}>
        <label htmlFor="email">{t('email')}</label>
        <input id="email" name="email" type="email" autoComplete="username" required />
        <label htmlFor="password">{t('password')}</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        {error && (
          <p id="signin-error" role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('signIn')}
        </button>
      </form>
      <Prefs />
    </main>
  );
}

function Prefs() {
  const { t, locale, setLocale, zone, setZone } = usePrefs();
  return (
    <div className="prefs">
      <label htmlFor="locale">{t('language')}</label>
      <select id="locale" value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
        <option value="id">Bahasa Indonesia</option>
        <option value="en">English</option>
      </select>
      <label htmlFor="zone">{t('timeZone')}</label>
      <select id="zone" value={zone} onChange={(e) => setZone(e.target.value as Zone)}>
        <option value="WIB">WIB</option>
        <option value="WITA">WITA</option>
        <option value="WIT">WIT</option>
      </select>
    </div>
  );
}

function Shell({ session }: { session: Session }) {
  const { t } = usePrefs();
  const route = useRoute();
  const [page, param] = route[0] ? route : ['curation'];
  const nav = [
    ['curation', t('curation')],
    ['reports', t('reports')],
    ['signals', t('signals')],
    ['cases', t('cases')],
    ['organisations', t('organisations')],
    ['money', t('money')],
    ['statistics', t('statistics')],
    ['surveys', t('surveys')],
    ['registry', t('registry')],
    ['communities', t('communities')],
    ['webhooks', t('webhooks')],
    ['audit', t('audit')],
  ] as const;
  return (
    <>
      <a className="skip" href="#main">
        {t('skip')}
      </a>
      <header>
        <strong>{t('appName')}</strong>
        <nav aria-label="Main">
          {nav.map(([k, label]) => (
            <a
              key={k}
              href={`#/${k}`}
              aria-current={page === k || (k === 'reports' && page === 'providers') ? 'page' : undefined}
            >
              {label}
            </a>
          ))}
        </nav>
        <span className="who">
          {session.user.name} ({session.user.role})
        </span>
        <Prefs />
        <SignOutButton />
      </header>
      <SessionContext.Provider value={session}>
        <main id="main" tabIndex={-1}>
          {page === 'curation' && !param && <CurationQueue />}
          {page === 'curation' && param && <CourseReview id={param} />}
          {page === 'reports' && <ReportsPage />}
          {page === 'providers' && param && <ProviderPage id={param} />}
          {page === 'money' && <MoneyPage />}
          {page === 'organisations' && !param && <OrganisationsPage />}
          {page === 'organisations' && param && <OrganisationPage id={param} />}
          {page === 'signals' && <SignalsPage />}
          {page === 'cases' && !param && <CasesPage />}
          {page === 'cases' && param && <CasePage id={param} />}
          {page === 'statistics' && <StatisticsPage />}
          {page === 'communities' && !param && <CommunitiesPage />}
          {page === 'communities' && param && <CommunityPage id={param} />}
          {page === 'audit' && <AuditPage />}
          {page === 'surveys' && <SurveysPage />}
          {page === 'registry' && !param && <RegistryPage />}
          {page === 'registry' && param && <RegistryParticipantPage id={param} />}
          {page === 'webhooks' && <WebhooksPage />}
        </main>
      </SessionContext.Provider>
    </>
  );
}
