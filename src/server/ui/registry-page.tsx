/**
 * `/ui/registry`: the applied definitions (entities, sources, views with their
 * features, types and constraints, services), each object's versions with the
 * field-level diff between consecutive versions, the objects `apply` removed
 * (with their history, under the same anchors), and the pinned baselines.
 */
import type { Child } from 'hono/jsx';
import type { Definition, DefinitionKind, DefinitionSet, FeatureDef, FeatureViewDef, SourceDef } from '../../definitions/types.js';
import { storedDuration } from '../../definitions/ttl.js';
import type { FieldChange, VersionRecord } from '../../registry/types.js';
import { formatTime, formatValue, query } from './format.js';
import { Layout, type PageFrame } from './layout.js';
import { PUSHES_POOLED } from '../../guards/reference.js';

export interface VersionWithDiff {
  readonly record: VersionRecord;
  /** Changes from the previous version (empty for version 1). */
  readonly changes: readonly FieldChange[];
}

export interface BaselineRow {
  readonly name: string;
  readonly view: string | null;
  readonly service: string | null;
  readonly run_id: string | null;
  readonly source: string;
  readonly pinned_at: string;
  readonly columns: number;
}

export interface RegistryPageProps {
  frame: PageFrame;
  set: DefinitionSet;
  /** Versions per `kind/name`, oldest first (removed objects' too). */
  versions: ReadonlyMap<string, readonly VersionWithDiff[]>;
  /** The removal of each object whose last version removed it, by kind and name. */
  removed?: readonly VersionRecord[];
  baselines: readonly BaselineRow[];
  /** What drift is measured against with no baseline pinned: the project's `drift.reference`, then each view or service that sets its own. */
  references?: readonly { target: string | null; setting: string; minRows: number }[];
}

/**
 * What drift is measured against under a `drift.reference` setting, in words (as `findReference` in
 * src/guards/reference.ts finds it): a run that succeeded or warned, of `min_rows` or more rows; `previous:<n>`
 * pools n of them. A baseline pinned for the view or service wins over `previous`.
 */
export function describeDriftReference(setting: string, minRows: number): string {
  const rows = `${minRows} or more rows`;
  const m = /^previous(?::(\d+))?$/.exec(setting);
  if (m) {
    const n = m[1] ? Math.max(1, Number(m[1])) : 1;
    const kinds = 'a materialization of a view, a dataset build of a service';
    return n === 1
      ? `the newest run of ${rows} that succeeded or warned (${kinds}; a view fed only by pushes pools its last ${m[1] ? 1 : PUSHES_POOLED}) (drift.reference: ${setting})`
      : `the previous ${n} runs of ${rows} that succeeded or warned, pooled (${kinds}; a view fed only by pushes pools its last ${n}) (drift.reference: ${setting})`;
  }
  if (setting.startsWith('baseline:')) return `baseline '${setting.slice('baseline:'.length)}', which is not pinned: drift checks error until it is (drift.reference: ${setting})`;
  return `drift.reference: ${setting}`;
}

export const anchorOf = (kind: DefinitionKind, name: string) => `obj-${kind}-${name}`;

const CONSTRAINT_KEYS = ['nullable', 'max_null_ratio', 'min', 'max', 'strict', 'allowed_values', 'pattern', 'min_length', 'max_length', 'mostly', 'allow_nan', 'pii'] as const;

/** Constraints of a feature as `min 0, max 1440, nullable false`. */
export function constraintText(f: FeatureDef): string {
  const parts = CONSTRAINT_KEYS.filter((k) => f[k] !== undefined).map((k) => `${k} ${formatValue(f[k], 60)}`);
  if (f.quality) parts.push(`quality ${formatValue(f.quality, 80)}`);
  return parts.join(', ') || '—';
}

function sourceLocation(s: SourceDef): string {
  if (s.path) return `${s.format ?? ''}${s.format ? ' ' : ''}${s.path}`;
  if (s.database) return `${s.database} · ${s.table ?? ''}`;
  return s.query ?? '—';
}

function Versions(props: { list: readonly VersionWithDiff[] | undefined }) {
  const list = props.list ?? [];
  if (list.length === 0) return <p class="muted">No version history.</p>;
  const newest = [...list].reverse();
  const last = list[list.length - 1].record;
  return (
    <details class="versions" open={list.length > 1 ? true : undefined}>
      <summary>
        {list.length} version{list.length === 1 ? '' : 's'} ({last.definition === null ? 'removed in' : 'current'} v{last.version})
      </summary>
      {newest.map((v, i) => (
        <div class="version" data-version={v.record.version}>
          <h4>
            v{v.record.version} <span class="muted">applied {formatTime(v.record.applied_at)} · hash </span>
            <code>{v.record.hash.slice(0, 12)}</code>
            {v.record.definition === null ? ' (removed)' : ''}
          </h4>
          {v.record.definition === null ? (
            <p class="muted">Removed by an apply{v.record.version > 1 ? `: v${v.record.version - 1} was its last definition` : ''}.</p>
          ) : v.changes.length ? (
            <table class="diff" aria-label={`changes in v${v.record.version}`}>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Before (v{v.record.version - 1})</th>
                  <th scope="col">After (v{v.record.version})</th>
                </tr>
              </thead>
              <tbody>
                {v.changes.map((c) => (
                  <tr>
                    <th scope="row" class="mono">
                      {c.path}
                    </th>
                    <td class="mono diff-before">
                      <span aria-hidden="true">− </span>
                      {formatValue(c.before, 200)}
                    </td>
                    <td class="mono diff-after">
                      <span aria-hidden="true">+ </span>
                      {formatValue(c.after, 200)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p class="muted">{i === newest.length - 1 ? 'First version.' : 'No field changes.'}</p>
          )}
        </div>
      ))}
    </details>
  );
}

function ObjectHeading(props: { kind: DefinitionKind; name: string; children?: Child }) {
  return (
    <h3 id={anchorOf(props.kind, props.name)}>
      <code>{props.name}</code> {props.children}
    </h3>
  );
}

function ViewSection(props: { frame: PageFrame; v: FeatureViewDef; versions: readonly VersionWithDiff[] | undefined }) {
  const { v, frame } = props;
  return (
    <section class="view" data-view={v.name}>
      <ObjectHeading kind="feature_view" name={v.name}>
        {v.role === 'label' ? <span class="muted">(label view)</span> : null}
      </ObjectHeading>
      {v.description ? <p>{v.description}</p> : null}
      <p class="muted">
        entities {v.entities.join(', ')} · source <a href={`#${anchorOf('source', v.source)}`}>{v.source}</a> · ttl {v.ttl ?? '0 (unlimited)'}
        {storedDuration(v.allowed_lateness) > 0 ? ` · allowed lateness ${v.allowed_lateness}` : ''} · online {v.online ? 'yes' : 'no'}
        {v.schedule ? ` · schedule ${v.schedule}` : ''}
        {v.slices?.length ? ` · slices ${v.slices.join(', ')}` : ''} · <a href={`${frame.base}/runs${query({ view: v.name })}`}>runs</a>
      </p>
      <table class="features">
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">Type</th>
            <th scope="col">Constraints</th>
            <th scope="col">Description</th>
            <th scope="col">History</th>
          </tr>
        </thead>
        <tbody>
          {v.features.map((f) => (
            <tr>
              <th scope="row" class="mono">
                {f.name}
              </th>
              <td class="mono">{f.type}</td>
              <td class="mono">{constraintText(f)}</td>
              <td class="free">{f.description ?? ''}</td>
              <td>
                <a href={`${frame.base}/features/${encodeURIComponent(v.name)}/${encodeURIComponent(f.name)}`}>history</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {v.quality ? (
        <p class="muted">
          quality: <code>{formatValue(v.quality, 300)}</code>
        </p>
      ) : null}
      <Versions list={props.versions} />
    </section>
  );
}

const KIND_WORDS: Record<DefinitionKind, string> = { entity: 'entity', source: 'source', feature_view: 'feature view', feature_service: 'feature service' };
const KIND_ORDER: readonly DefinitionKind[] = ['entity', 'source', 'feature_view', 'feature_service'];

/**
 * Objects whose last version removed them: their history stays (as `describe NAME --versions` shows it), under the
 * anchor they had, so the "Definition versions" links of their old runs still land on them.
 */
function RemovedSection(props: { frame: PageFrame; removed: readonly VersionRecord[]; versions: RegistryPageProps['versions'] }) {
  const { frame } = props;
  const order = [...props.removed].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.name.localeCompare(b.name));
  return (
    <>
      <h2 id="removed">Removed</h2>
      <p class="muted">Objects an apply removed, with their versions; a removed view's runs stay in the log.</p>
      {order.map((r) => (
        <section class="removed" data-kind={r.kind} data-name={r.name}>
          <ObjectHeading kind={r.kind} name={r.name}>
            <span class="muted">
              ({KIND_WORDS[r.kind] ?? r.kind}) removed in v{r.version} · {formatTime(r.applied_at)}
            </span>
          </ObjectHeading>
          {r.kind === 'feature_view' ? (
            <p>
              <a href={`${frame.base}/runs${query({ view: r.name })}`}>runs</a>
            </p>
          ) : null}
          <Versions list={props.versions.get(`${r.kind}/${r.name}`)} />
        </section>
      ))}
    </>
  );
}

/** `1 entity`, `2 entities`. */
const counted = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function RegistryPage(props: RegistryPageProps) {
  const { frame, set } = props;
  const vers = (kind: DefinitionKind, name: string) => props.versions.get(`${kind}/${name}`);
  const sorted = <T extends Definition>(m: ReadonlyMap<string, T>) => [...m.values()].sort((a, b) => a.name.localeCompare(b.name));
  const removed = props.removed ?? [];
  return (
    <Layout frame={frame} title="Registry" section="registry">
      <h1>Registry</h1>
      <p class="muted">
        What is applied now: {counted(set.entities.size, 'entity', 'entities')}, {counted(set.sources.size, 'source')}, {counted(set.views.size, 'feature view')},{' '}
        {counted(set.services.size, 'feature service')}.
      </p>
      <nav aria-label="registry sections">
        <a href="#entities">Entities</a> · <a href="#sources">Sources</a> · <a href="#views">Feature views</a> · <a href="#services">Feature services</a> ·{' '}
        {removed.length ? (
          <>
            <a href="#removed">Removed</a> ·{' '}
          </>
        ) : null}
        <a href="#baselines">Baselines</a>
      </nav>
      <h2 id="entities">Entities</h2>
      {sorted(set.entities).map((e) => (
        <section class="entity">
          <ObjectHeading kind="entity" name={e.name} />
          <p>
            join keys: <span class="mono">{e.join_keys.map((k) => `${k.name}: ${k.type}`).join(', ')}</span>
            {e.description ? ` — ${e.description}` : ''}
          </p>
          <Versions list={vers('entity', e.name)} />
        </section>
      ))}
      <h2 id="sources">Sources</h2>
      {sorted(set.sources).map((s) => (
        <section class="source">
          <ObjectHeading kind="source" name={s.name} />
          <p class="mono">{sourceLocation(s)}</p>
          <p class="muted">
            timestamp {s.timestamp_field}
            {s.created_timestamp_field ? ` · created ${s.created_timestamp_field}` : ''}
            {s.field_mapping ? ` · mapping ${formatValue(s.field_mapping)}` : ''}
          </p>
          <Versions list={vers('source', s.name)} />
        </section>
      ))}
      <h2 id="views">Feature views</h2>
      {sorted(set.views).map((v) => (
        <ViewSection frame={frame} v={v} versions={vers('feature_view', v.name)} />
      ))}
      <h2 id="services">Feature services</h2>
      {set.services.size === 0 ? <p class="muted">No feature services.</p> : null}
      {sorted(set.services).map((s) => (
        <section class="service">
          <ObjectHeading kind="feature_service" name={s.name} />
          <p>
            features: <span class="mono">{s.features.join(', ')}</span>
            {s.label ? (
              <>
                {' '}
                · label <span class="mono">{s.label}</span>
              </>
            ) : null}
          </p>
          <Versions list={vers('feature_service', s.name)} />
        </section>
      ))}
      {removed.length ? <RemovedSection frame={frame} removed={removed} versions={props.versions} /> : null}
      <h2 id="baselines">Baselines</h2>
      {props.baselines.length === 0 ? (
        <>
          {(props.references ?? [{ target: null, setting: 'previous', minRows: 30 }]).map((r) => (
            <p class="muted">
              {r.target === null ? (
                <>
                  No baselines pinned (<code>featureguard baseline pin</code>); drift is measured against {describeDriftReference(r.setting, r.minRows)}.
                </>
              ) : (
                <>
                  {r.target}: drift is measured against {describeDriftReference(r.setting, r.minRows)}.
                </>
              )}
            </p>
          ))}
        </>
      ) : (
        <table class="baselines">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">View / service</th>
              <th scope="col">From</th>
              <th scope="col">Pinned (UTC)</th>
              <th scope="col" class="num">Columns</th>
            </tr>
          </thead>
          <tbody>
            {props.baselines.map((b) => (
              <tr>
                <th scope="row" class="mono">
                  {b.name}
                </th>
                <td>{b.view ?? b.service ?? '—'}</td>
                <td class="mono free">{b.run_id ? <a href={`${frame.base}/runs/${encodeURIComponent(b.run_id)}`}>{b.source}</a> : b.source}</td>
                <td class="mono">{formatTime(b.pinned_at)}</td>
                <td class="num">{b.columns}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}
