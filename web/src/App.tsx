import { lazy, Suspense, useEffect, useRef, useState, useSyncExternalStore, type ComponentType } from 'react';
import { currentUser, resumeSession, signOut, subscribeSession } from './api/client';
import type { User } from './api/types';
import { Loading } from './components/ui';
import { LibraryPage } from './pages/Library';
import { SignInPage } from './pages/SignIn';
import { Link, usePath } from './router';

// The library is the landing page and ships in the first bundle; every other page loads when first visited.
const FilePage = lazy(() => import('./pages/File'));
const UploadPage = lazy(() => import('./pages/Upload'));
const PendingPage = lazy(() => import('./pages/Pending'));
const TrashPage = lazy(() => import('./pages/Trash'));
const TagsPage = lazy(() => import('./pages/Tags'));
const CollectionsPage = lazy(() => import('./pages/Collections'));
const UsersPage = lazy(() => import('./pages/Users'));
const JobsPage = lazy(() => import('./pages/Jobs'));

interface Route {
  path: string;
  label: string;
  page: ComponentType<{ user: User }>;
  adminOnly?: boolean;
}

const ROUTES: Route[] = [
  { path: '/', label: 'Library', page: LibraryPage },
  { path: '/upload', label: 'Upload', page: UploadPage },
  { path: '/pending', label: 'Pending', page: PendingPage },
  { path: '/trash', label: 'Trash', page: TrashPage },
  { path: '/tags', label: 'Tags', page: TagsPage },
  { path: '/collections', label: 'Collections', page: CollectionsPage },
  { path: '/users', label: 'Users', page: UsersPage, adminOnly: true },
  { path: '/jobs', label: 'Jobs', page: JobsPage, adminOnly: true },
];

export function App() {
  const user = useSyncExternalStore(subscribeSession, currentUser);
  const [resuming, setResuming] = useState(true);
  useEffect(() => {
    void resumeSession().finally(() => setResuming(false));
  }, []);
  if (!user) {
    if (resuming) return <Loading />;
    return <SignInPage />;
  }
  return <Shell user={user} />;
}

function Shell({ user }: { user: User }) {
  const path = usePath();
  const routes = ROUTES.filter((route) => !route.adminOnly || user.role === 'admin');
  const fileMatch = /^\/files\/([^/]+)$/.exec(path);
  const route = routes.find((candidate) => candidate.path === path);
  const main = useRef<HTMLElement>(null);
  const shownPath = useRef(path);
  // A new page replaces the link that was followed; without this, focus would fall back to the document and a
  // keyboard user would start again from the top. (Not on the first page: the browser's own start stays.)
  useEffect(() => {
    if (shownPath.current === path) return;
    shownPath.current = path;
    main.current?.focus();
  }, [path]);
  useEffect(() => {
    const label = fileMatch ? 'File' : (route?.label ?? 'Not found');
    document.title = `${label} · mediavault`;
  }, [fileMatch, route]);
  let content;
  if (fileMatch) content = <FilePage id={decodeURIComponent(fileMatch[1])} user={user} />;
  else if (route) content = <route.page user={user} />;
  else content = <NotFound />;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">mediavault</span>
        <nav aria-label="Main">
          <ul>
            {routes.map((candidate) => (
              <li key={candidate.path}>
                <Link href={candidate.path} aria-current={candidate.path === path ? 'page' : undefined}>
                  {candidate.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          <span className="muted">
            {user.email} ({user.role})
          </span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        <Suspense fallback={<Loading />}>{content}</Suspense>
      </main>
    </>
  );
}

function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <Link href="/">Back to the library</Link>
      </p>
    </>
  );
}
