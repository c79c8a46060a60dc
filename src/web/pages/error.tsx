/** An error page in the frame, for refusals (401, 403) and failures the pages cannot show inline. */
import type { Session } from '../session.js';
import { Layout } from '../layout.js';

export function ErrorPage(p: { status: number; title: string; message: string; session: Session | null; csrf: string; district: string; requestId?: string }) {
  return (
    <Layout title={p.title} session={p.session} csrf={p.csrf} district={p.district}>
      <h1>{p.title}</h1>
      <div class="banner bad" role="alert">{p.message}</div>
      <p class="muted">HTTP {p.status}{p.requestId ? ` · request ${p.requestId}` : ''}</p>
      <p><a href="/">Back to the dashboard</a></p>
    </Layout>
  );
}
