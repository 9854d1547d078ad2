/**
 * The lineage section of a run's page: job, every output with its own rows (a split build's train and test
 * parts, a push's online store and offline file), inputs with fingerprints, definition versions linked to the
 * registry page. The same outputs as `runs show` and the OpenLineage export.
 */
import type { Run } from '../../runs/types.js';
import { Facts } from './components.js';
import { flattenJson, formatCount } from './format.js';
import type { PageFrame } from './layout.js';

export function Lineage(props: { frame: PageFrame; run: Run }) {
  const l = props.run.lineage;
  if (!l) return <p class="muted">No lineage recorded for this run.</p>;
  const versions = Object.entries(l.definition_versions ?? {});
  const outputs = [...(l.output ? [l.output] : []), ...(l.other_outputs ?? [])].map((o) => (
    <>
      <code>{`${o.kind}: ${o.uri}`}</code>
      {typeof o.rows === 'number' ? ` (${formatCount(o.rows)} row${o.rows === 1 ? '' : 's'})` : ''}
    </>
  ));
  return (
    <>
      <Facts
        items={[
          ['Job', <code>{l.job}</code>],
          [outputs.length > 1 ? 'Outputs' : 'Output', outputs.length ? outputs.map((o) => <div>{o}</div>) : '—'],
          ['featureguard', l.package_version],
          ['Host / user', `${l.host} / ${l.user}`],
        ]}
      />
      <h3>Inputs</h3>
      <table class="inputs">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">URI</th>
            <th scope="col">Fingerprint</th>
          </tr>
        </thead>
        <tbody>
          {(l.inputs ?? []).map((i) => (
            <tr>
              <th scope="row">{i.name}</th>
              <td class="kind">{i.kind}</td>
              <td class="mono uri">{i.uri}</td>
              <td class="mono fp">
                {/* An empty fingerprint: the run stopped before reading the input (a failed run's source). */}
                {i.fingerprint && Object.keys(i.fingerprint).length > 0
                  ? flattenJson(i.fingerprint).map(([k, v]) => (
                      <div>
                        {k}: {v}
                      </div>
                    ))
                  : '— (not read)'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Definition versions</h3>
      <table class="versions">
        <thead>
          <tr>
            <th scope="col">Object</th>
            <th scope="col" class="num">Version</th>
            <th scope="col">Hash</th>
          </tr>
        </thead>
        <tbody>
          {versions.map(([key, v]) => (
            <tr>
              <th scope="row">
                <a href={`${props.frame.base}/registry#obj-${key.replace(/[^a-z0-9_]+/g, '-')}`}>{key}</a>
              </th>
              <td class="num">{v.version}</td>
              <td class="mono fp">{String(v.hash).slice(0, 16)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
