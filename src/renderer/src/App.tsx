import { useEffect, useState } from 'react';
import { api, HOST_GONE, HOST_RESTARTED, hostLinkState, transport, type HostLink } from './api';
import { DamagedRowsWarning } from './components/DamagedRows';
import { ErrorBox } from './components/ErrorBox';
import { StatusBar } from './components/StatusBar';
import { useApi } from './hooks';
import { pages } from './pages';

function routeFromHash(): string {
  const id = window.location.hash.replace(/^#\/?/, '');
  return pages.some((p) => p.id === id) ? id : 'devices';
}

/** Shown over every page once the headless host that served this tab is gone or was restarted. */
function HostLinkBanner() {
  const [link, setLink] = useState<HostLink>(hostLinkState.get);
  useEffect(() => hostLinkState.subscribe(setLink), []);
  if (transport !== 'headless-host' || link === 'ok') return null;
  return (
    <div className="host-banner" role="alert" data-testid="host-banner" data-link={link}>
      {link === 'stale-token' ? HOST_RESTARTED : HOST_GONE}
    </div>
  );
}

export function App() {
  const [route, setRoute] = useState(routeFromHash);
  const status = useApi(() => api.status.get({ loadTf: true }));
  useEffect(() => {
    const onHash = () => setRoute(routeFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const current = pages.find((p) => p.id === route) ?? pages[0]!;
  const Page = current.component;
  const storeError = status.error && 'code' in status.error && status.error.code === 'store';
  return (
    <div className="shell">
      <nav className="rail" aria-label="Steps">
        <div className="brand">bitbench</div>
        {pages.map((p) => (
          <a
            key={p.id}
            href={`#/${p.id}`}
            className={p.id === current.id ? 'active' : ''}
            aria-current={p.id === current.id ? 'page' : undefined}
            data-testid={`nav-${p.id}`}
          >
            {p.label}
          </a>
        ))}
      </nav>
      <main className="content">
        <HostLinkBanner />
        <DamagedRowsWarning key={current.id} />
        {storeError ? (
          <section className="page">
            <h1>bitbench cannot open its database</h1>
            <ErrorBox error={status.error} />
            <p>
              Nothing was changed. Fix or move the file named above, or start bitbench with another database
              (--db / BITBENCH_DB).
            </p>
          </section>
        ) : (
          <Page />
        )}
      </main>
      <StatusBar status={status.data} />
    </div>
  );
}
