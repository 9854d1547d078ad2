/** The HTML error page of the web pages (the JSON API keeps its JSON errors). */
import { Layout, type PageFrame } from './layout.js';

export function ErrorPage(props: { frame: PageFrame; status: number; message: string }) {
  const title = props.status === 404 ? 'Not found' : props.status === 401 || props.status === 403 ? 'Not allowed' : props.status < 500 ? 'Bad request' : 'Server error';
  return (
    <Layout frame={props.frame} title={title} section="runs">
      <h1>{title}</h1>
      <p class="error-box" role="alert">
        {props.message}
      </p>
      <p>
        <a href={`${props.frame.base}/runs`}>Back to the runs</a>
      </p>
    </Layout>
  );
}
