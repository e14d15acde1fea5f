import {
  Button,
  FluentProvider,
  makeStyles,
  MessageBar,
  MessageBarBody,
  Spinner,
  Tab,
  TabList,
  Text,
  tokens,
} from '@fluentui/react-components';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useMemo, useState, type ReactNode } from 'react';
import { createApi } from './api/client';
import { createSession, type Account, type ConsoleConfig, type Session } from './auth/session';
import { hasRole, SignedIn, type Signed } from './context';
import { match, navigate, usePath } from './router';
import { MessageList } from './screens/MessageList';
import { SignIn } from './screens/SignIn';
import { useTheme } from './theme';

const Wizard = lazy(() => import('./screens/Wizard'));
const MessageDetail = lazy(() => import('./screens/MessageDetail'));
const Approvals = lazy(() => import('./screens/Approvals'));
const Reports = lazy(() => import('./screens/Reports'));
const Policies = lazy(() => import('./screens/Policies'));
const Readiness = lazy(() => import('./screens/Readiness'));
const Notifications = lazy(() => import('./screens/Notifications'));
const Settings = lazy(() => import('./screens/Settings'));
const Devices = lazy(() => import('./screens/Devices'));
const Providers = lazy(() => import('./screens/Providers'));

const useStyles = makeStyles({
  page: { minHeight: '100vh', backgroundColor: tokens.colorNeutralBackground2, color: tokens.colorNeutralForeground1 },
  header: {
    display: 'flex',
    alignItems: 'center',
    gap: tokens.spacingHorizontalL,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalXL}`,
    backgroundColor: tokens.colorNeutralBackground1,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  brand: { fontWeight: tokens.fontWeightSemibold, fontSize: tokens.fontSizeBase500 },
  nav: { flexGrow: 1 },
  main: { padding: tokens.spacingHorizontalXL, maxWidth: '1280px', margin: '0 auto' },
});

interface Screen {
  path: string;
  label: string;
  roles: string[];
}

/** The navigation, by role: a person sees the screens their roles can use. */
const SCREENS: Screen[] = [
  { path: '/', label: 'Messages', roles: ['Messages.Write', 'Messages.Approve'] },
  { path: '/approvals', label: 'Approvals', roles: ['Messages.Approve'] },
  { path: '/reports', label: 'Activity', roles: ['Reports.Read', 'Messages.Write'] },
  { path: '/readiness', label: 'Readiness', roles: ['Tenant.Admin'] },
  { path: '/policies', label: 'Policies', roles: ['Tenant.Admin'] },
  { path: '/notifications', label: 'Notifications', roles: ['Notifications.Send.Groups', 'Notifications.Send.Device'] },
  { path: '/settings', label: 'Settings', roles: ['Tenant.Admin'] },
  { path: '/devices', label: 'Devices', roles: ['Tenant.Admin'] },
  { path: '/providers', label: 'Providers', roles: ['Providers.Write', 'Providers.Approve', 'Providers.Review'] },
];

function Routes({ path, account }: { path: string; account: Account }): ReactNode {
  let params: Record<string, string> | undefined;
  if (path.split('?')[0] === '/approvals') return <Approvals />;
  if (path.split('?')[0] === '/reports') return <Reports />;
  if (path.split('?')[0] === '/readiness') return <Readiness />;
  if (path.split('?')[0] === '/policies') return <Policies />;
  if (path.split('?')[0] === '/notifications') return <Notifications />;
  if (path.split('?')[0] === '/settings') return <Settings />;
  if (path.split('?')[0] === '/devices') return <Devices />;
  if (path.split('?')[0] === '/providers') return <Providers />;
  if (match('/messages/new', path)) return <Wizard />;
  if ((params = match('/messages/:id/edit', path))) return <Wizard id={params.id} />;
  if ((params = match('/messages/:id', path))) return <MessageDetail id={params.id!} />;
  if (hasRole(account, 'Messages.Write', 'Messages.Approve')) return <MessageList />;
  if (hasRole(account, 'Reports.Read')) return <Reports />;
  // Whoever holds none of the message roles lands on the first screen theirs allow.
  if (hasRole(account, 'Notifications.Send.Groups', 'Notifications.Send.Device')) return <Notifications />;
  if (hasRole(account, 'Tenant.Admin')) return <Settings />;
  if (hasRole(account, 'Providers.Write', 'Providers.Approve', 'Providers.Review')) return <Providers />;
  return <Text>Your roles ({account.roles.join(', ') || 'none'}) give you nothing to do in this console yet.</Text>;
}

/**
 * What the screens read, kept per signed-in session: a read fails at once (its problem is shown, as the API put
 * it), is not repeated when the window regains focus, and is dropped when no screen shows it, so a screen
 * opened again reads afresh.
 */
const newQueryClient = () => new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false, gcTime: 0 } } });

function Shell({ signed }: { signed: Signed }) {
  const styles = useStyles();
  const [queries] = useState(newQueryClient);
  const path = usePath();
  const screens = SCREENS.filter((s) => hasRole(signed.account, ...s.roles));
  const current = screens.find((s) => s.path !== '/' && path.startsWith(s.path))?.path ?? '/';
  return (
    <SignedIn.Provider value={signed}>
      <QueryClientProvider client={queries}>
        <header className={styles.header}>
          <Text className={styles.brand}>Herald</Text>
          <nav className={styles.nav} aria-label="Screens">
            <TabList selectedValue={current} onTabSelect={(_, d) => navigate(String(d.value))}>
              {screens.map((s) => (
                <Tab key={s.path} value={s.path}>
                  {s.label}
                </Tab>
              ))}
            </TabList>
          </nav>
          <Text aria-label="Signed in as">{signed.account.name}</Text>
          <Button appearance="subtle" onClick={() => void signed.session.signOut()}>
            Sign out
          </Button>
        </header>
        <main className={styles.main}>
          <Suspense fallback={<Spinner label="Loading…" />}>
            <Routes path={path} account={signed.account} />
          </Suspense>
        </main>
      </QueryClientProvider>
    </SignedIn.Provider>
  );
}

type State =
  { kind: 'loading' } | { kind: 'failed'; error: string } | { kind: 'signedOut'; session: Session } | { kind: 'signedIn'; signed: Signed };

export function App() {
  const styles = useStyles();
  const theme = useTheme();
  const [state, setState] = useState<State>({ kind: 'loading' });
  useEffect(() => {
    (async () => {
      const response = await fetch('/api/console/config');
      if (!response.ok) throw new Error(`the console’s configuration did not load (${response.status})`);
      const session = await createSession((await response.json()) as ConsoleConfig);
      const account = await session.start();
      setState(
        account
          ? { kind: 'signedIn', signed: { account, session, api: createApi(() => session.accessToken()) } }
          : { kind: 'signedOut', session },
      );
    })().catch((error: Error) => setState({ kind: 'failed', error: error.message }));
  }, []);
  const body = useMemo(() => {
    switch (state.kind) {
      case 'loading':
        return <Spinner label="Signing in…" />;
      case 'failed':
        return (
          <MessageBar intent="error">
            <MessageBarBody>Sign-in failed: {state.error}</MessageBarBody>
          </MessageBar>
        );
      case 'signedOut':
        return <SignIn session={state.session} />;
      case 'signedIn':
        return <Shell signed={state.signed} />;
    }
  }, [state]);
  return (
    <FluentProvider theme={theme} className={styles.page}>
      {body}
    </FluentProvider>
  );
}
