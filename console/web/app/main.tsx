import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './styles.css';
import { adoptToken, errorMessage, getJson } from './api';
import { DlqPage } from './dlq-page';
import { FlagsPage } from './flags-page';
import { useLiveOverview, type LiveStatus } from './live';
import { OverviewPage } from './overview-page';
import type { Route } from './router';
import { useRoute } from './use-route';
import { TaskPage } from './task-page';
import type { PlatformInfo } from './types';

const NAV: readonly { readonly page: Route['page']; readonly href: string; readonly label: string }[] = [
  { page: 'overview', href: '#/overview', label: 'Overview' },
  { page: 'dlq', href: '#/dlq', label: 'Dead letters' },
  { page: 'tasks', href: '#/tasks', label: 'Task lookup' },
  { page: 'flags', href: '#/flags', label: 'Flags' },
];

const LIVE_LABELS: Record<LiveStatus, string> = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' };

function Header(props: { readonly platform?: PlatformInfo; readonly route: Route; readonly live: LiveStatus }) {
  const { platform, route, live } = props;
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <div class="brand">
        <span class="logo" aria-hidden="true">
          ⚓
        </span>
        <span>Bosun console</span>
      </div>
      <nav aria-label="Pages">
        <ul>
          {NAV.map((item) => (
            <li key={item.page}>
              <a href={item.href} aria-current={route.page === item.page ? 'page' : undefined}>
                {item.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="platform" aria-label="Platform">
        {platform === undefined ? null : (
          <>
            <span class={`badge ${platform.target}`}>{platform.target === 'aws' ? 'AWS' : 'local'}</span>{' '}
            <span>
              {platform.stage} · {platform.region}
            </span>{' '}
            <span class={`badge ${platform.actionsAllowed ? 'actions' : 'read-only'}`}>{platform.actionsAllowed ? 'actions allowed' : 'read-only'}</span>
          </>
        )}
        <span class={`live ${live}`} role="status">
          {LIVE_LABELS[live]}
        </span>
      </div>
    </header>
  );
}

function App() {
  const route = useRoute();
  const [platform, setPlatform] = useState<PlatformInfo | undefined>(undefined);
  const [platformError, setPlatformError] = useState<string | undefined>(undefined);
  const live = useLiveOverview();

  useEffect(() => {
    getJson<PlatformInfo>('/api/platform').then(setPlatform, (error: unknown) => setPlatformError(errorMessage(error)));
  }, []);

  // A new page moves the keyboard focus to its content, as a page load would (not on the first render: the browser
  // starts at the top, with the skip link).
  const firstRender = useRef(true);
  useEffect(() => {
    const title = NAV.find((item) => item.page === route.page)?.label ?? 'Not found';
    document.title = `${title} · Bosun console`;
    if (firstRender.current) firstRender.current = false;
    else document.getElementById('main')?.focus();
  }, [route.page]);

  let page;
  if (platformError !== undefined) {
    page = (
      <p class="error" role="alert">
        {platformError}
      </p>
    );
  } else if (route.page === 'overview') {
    page = <OverviewPage {...(live.overview === undefined ? {} : { overview: live.overview })} {...(live.error === undefined ? {} : { error: live.error })} />;
  } else if (platform === undefined) {
    page = <p aria-busy="true">Loading…</p>;
  } else if (route.page === 'dlq') {
    page = <DlqPage platform={platform} {...(route.queue === undefined ? {} : { queue: route.queue })} query={route.query} />;
  } else if (route.page === 'tasks') {
    page = <TaskPage {...(route.taskId === undefined ? {} : { taskId: route.taskId })} />;
  } else if (route.page === 'flags') {
    page = <FlagsPage />;
  } else {
    page = (
      <section>
        <h1>Not found</h1>
        <p>
          Nothing at <code>{route.hash}</code>. <a href="#/overview">Go to the overview</a>.
        </p>
      </section>
    );
  }

  return (
    <>
      <Header {...(platform === undefined ? {} : { platform })} route={route} live={live.status} />
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) {
  if (adoptToken() === undefined) {
    root.innerHTML = '';
    render(
      <main id="main">
        <h1>Bosun console</h1>
        <p class="error" role="alert">
          This page needs its token. Open the URL that <code>bosun console</code> printed (it ends in <code>?token=…</code>).
        </p>
      </main>,
      root,
    );
  } else {
    root.innerHTML = '';
    render(<App />, root);
  }
}
