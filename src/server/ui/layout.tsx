/**
 * The page frame: doctype, inline stylesheet, navigation, `<main>`. Each
 * response gets a fresh CSP nonce; only elements carrying it may run or style.
 */
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { CSS } from './styles.js';

export interface PageFrame {
  /** Mount path of the pages, `/ui`. */
  readonly base: string;
  readonly nonce: string;
  /** Show the "log out" button (keys are required and the visitor logged in). */
  readonly loggedIn: boolean;
  readonly project: string;
}

export type Section = 'runs' | 'registry' | 'features' | 'login';

/** A full HTML document. */
export function Layout(props: { frame: PageFrame; title: string; section: Section; children?: Child; script?: string }) {
  const { frame } = props;
  const nav: [Section, string, string][] = [
    ['runs', `${frame.base}/runs`, 'Runs'],
    ['registry', `${frame.base}/registry`, 'Registry'],
  ];
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="same-origin" />
          <link rel="icon" href="data:," />
          <title>{`${props.title} · featureguard`}</title>
          <style nonce={frame.nonce}>{raw(CSS)}</style>
        </head>
        <body>
          <a class="skip" href="#main">Skip to content</a>
          <header class="top">
            <nav aria-label="main">
              <a class="brand" href={`${frame.base}/runs`}>featureguard · {frame.project}</a>
              {nav.map(([s, href, label]) => (
                <a href={href} aria-current={props.section === s ? 'page' : undefined}>
                  {label}
                </a>
              ))}
              {frame.loggedIn ? (
                <form method="post" action={`${frame.base}/logout`}>
                  <button type="submit">Log out</button>
                </form>
              ) : null}
            </nav>
          </header>
          <main id="main">{props.children}</main>
          {props.script ? <script nonce={frame.nonce}>{raw(props.script)}</script> : null}
        </body>
      </html>
    </>
  );
}
