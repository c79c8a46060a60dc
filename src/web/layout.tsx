/** The page frame: skip link, navigation, search box, who is signed in and the sign-out form. */
import type { Child } from 'hono/jsx';
import { CSRF_FIELD } from './csrf.js';
import type { Session } from './session.js';

export interface Frame {
  title: string;
  /** Which navigation entry is the current page. */
  nav?: 'dashboard' | 'report' | 'runs' | 'quarantine' | 'search';
  session: Session | null;
  csrf: string;
  district: string;
  q?: string;
}

const NAV: { key: NonNullable<Frame['nav']>; href: string; label: string }[] = [
  { key: 'dashboard', href: '/', label: 'Dashboard' },
  { key: 'report', href: '/report', label: 'Reconciliation report' },
  { key: 'runs', href: '/runs', label: 'Runs' },
  { key: 'quarantine', href: '/quarantine', label: 'Quarantine' },
];

export function Layout(props: Frame & { children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · rollcall · ${props.district}`}</title>
        <link rel="stylesheet" href="/assets/app.css" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">rollcall</a>
          {props.session && (
            <nav aria-label="Main">
              <ul>
                {NAV.map((n) => (
                  <li><a href={n.href} aria-current={props.nav === n.key ? 'page' : undefined}>{n.label}</a></li>
                ))}
              </ul>
            </nav>
          )}
          {props.session && (
            <form class="search" method="get" action="/search" role="search">
              <label for="q" class="skip">Search serial, asset tag, name or email</label>
              <input id="q" name="q" type="search" value={props.q ?? ''} placeholder="Serial, asset tag, name, email" />
              <button type="submit">Search</button>
            </form>
          )}
          {props.session && (
            <div class="who">
              <span>{props.session.identity.name} ({props.session.identity.scope})</span>
              <form method="post" action="/signout">
                <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
                <button type="submit" class="link">Sign out</button>
              </form>
            </div>
          )}
        </header>
        <main id="main">{props.children}</main>
      </body>
    </html>
  );
}

/** A hidden CSRF field for a form. */
export function Csrf({ value }: { value: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={value} />;
}
