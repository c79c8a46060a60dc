/** Sign in with an API token: the token's scopes decide what the pages allow, as in the API. */
import { Csrf, Layout } from '../layout.js';

export interface SignInProps {
  district: string;
  csrf: string;
  next: string;
  error?: string;
  /** No token is configured at all (outside the demo): say how to add one instead of asking for one. */
  noTokens: boolean;
  signedOut?: boolean;
}

export function SignInPage(p: SignInProps) {
  return (
    <Layout title="Sign in" session={null} csrf={p.csrf} district={p.district}>
      <h1>Sign in to rollcall</h1>
      <p class="muted">{p.district}</p>
      {p.signedOut && <div class="banner ok" role="status">You are signed out.</div>}
      {p.error && <div class="banner bad" role="alert">{p.error}</div>}
      {p.noTokens ? (
        <div class="banner info">
          No API token is configured, so no one can sign in yet. Add one under <code>api.tokens</code> in the config
          (for example <code>{'{ name: it-admin, tokenFile: /run/secrets/rollcall-admin, scopes: [admin] }'}</code>)
          and restart rollcall.
        </div>
      ) : (
        <form class="stack" method="post" action="/signin">
          <Csrf value={p.csrf} />
          <input type="hidden" name="next" value={p.next} />
          <div class="field">
            <label for="token">API token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required />
          </div>
          <p class="muted">Use a token from the <code>api.tokens</code> list in the config. Read tokens can view, write
            tokens can also check devices out and in, admin tokens can also approve held runs. The demo prints a
            one-off admin token when it starts.</p>
          <div><button type="submit">Sign in</button></div>
        </form>
      )}
    </Layout>
  );
}
