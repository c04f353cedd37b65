import type { Session } from '../api';
import { usePrefs } from '../i18n';
import { SessionContext } from '../session';
import { SignOutButton } from '../ui';
import { CredentialsPage, StaffPage } from './admin';
import { ClassesPage, ClassPage } from './class';
import { CoursePage, CoursesPage } from './courses';
import { DoorPage } from './door';
import { FiguresPage, SettlementsPage } from './money';
import { type ProviderKey, usePT } from './t';
import { ProviderWebhooksPage } from './webhooks';

/** Each page, the procedure it reads first (a role that may not read it does not see the page). */
const PAGES: readonly (readonly [string, ProviderKey, string])[] = [
  ['courses', 'navCourses', 'provider.courses.list'],
  ['classes', 'navClasses', 'provider.enrollments.list'],
  ['door', 'navDoor', 'provider.vouchers.check'],
  ['figures', 'navFigures', 'provider.reports.figures'],
  ['money', 'navMoney', 'provider.settlements.list'],
  ['webhooks', 'navWebhooks', 'provider.webhooks.list'],
  ['credentials', 'navCredentials', 'provider.credentials.list'],
  ['staff', 'navStaff', 'provider.staff.list'],
];

/** The provider console: the same app as the PMO's, the pages a lembaga pelatihan works in. */
export function ProviderShell({
  session,
  route,
  prefs,
}: {
  session: Session;
  route: string[];
  prefs: React.ReactNode;
}) {
  const { t } = usePrefs();
  const { pt } = usePT();
  const mayRead = (path: string) => !session.readsDenied.some((p) => path.startsWith(p));
  const visible = PAGES.filter(([, , path]) => mayRead(path));
  const first = visible[0]?.[0] ?? 'courses';
  const [page = first, param] = route[0] ? route : [first];
  const allowed = visible.some(([k]) => k === page);
  return (
    <>
      <a className="skip" href="#main">
        {t('skip')}
      </a>
      <header>
        <strong>{pt('providerApp')}</strong>
        <nav aria-label="Main">
          {visible.map(([k, label]) => (
            <a key={k} href={`#/${k}`} aria-current={page === k ? 'page' : undefined}>
              {pt(label)}
            </a>
          ))}
        </nav>
        <span className="who">
          {session.user.name} ({pt(`role_${session.user.role}` as ProviderKey)}) · {session.organisation.name}
        </span>
        {prefs}
        <SignOutButton />
      </header>
      <SessionContext.Provider value={session}>
        <main id="main" tabIndex={-1}>
          {!allowed && <p role="alert">{pt('notAllowed')}</p>}
          {allowed && page === 'courses' && !param && <CoursesPage />}
          {allowed && page === 'courses' && param && <CoursePage id={param} />}
          {allowed && page === 'classes' && !param && <ClassesPage />}
          {allowed && page === 'classes' && param && <ClassPage id={param} />}
          {allowed && page === 'door' && <DoorPage runId={param} />}
          {allowed && page === 'figures' && <FiguresPage />}
          {allowed && page === 'money' && <SettlementsPage id={param} />}
          {allowed && page === 'webhooks' && <ProviderWebhooksPage />}
          {allowed && page === 'credentials' && <CredentialsPage />}
          {allowed && page === 'staff' && <StaffPage />}
        </main>
      </SessionContext.Provider>
    </>
  );
}
