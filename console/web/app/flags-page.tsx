import { useEffect, useState } from 'preact/hooks';
import { errorMessage, getJson, postJson } from './api';
import { parseContext } from './format';
import { RoutingExplanationView } from './task-page';
import type { FlagsDocument, FlagsExplanation, FlagsValidation } from './types';

type Validation = { readonly state: 'idle' } | { readonly state: 'checking' } | { readonly state: 'done'; readonly value: FlagsValidation } | { readonly state: 'error'; readonly message: string };
type Explain = { readonly state: 'idle' } | { readonly state: 'asking' } | { readonly state: 'done'; readonly value: FlagsExplanation } | { readonly state: 'error'; readonly message: string };

/** The routing document: what is in force, a draft checked by the server's validator, and "explain" for a task. */
export function FlagsPage() {
  const [current, setCurrent] = useState<FlagsDocument | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [draft, setDraft] = useState('');
  const [validation, setValidation] = useState<Validation>({ state: 'idle' });
  const [taskName, setTaskName] = useState('');
  const [region, setRegion] = useState('');
  const [contextText, setContextText] = useState('');
  const [explain, setExplain] = useState<Explain>({ state: 'idle' });

  useEffect(() => {
    getJson<FlagsDocument>('/api/flags').then(
      (document) => {
        setCurrent(document);
        setDraft(document.document);
      },
      (error: unknown) => setLoadError(errorMessage(error)),
    );
  }, []);

  const validate = async (event: Event): Promise<void> => {
    event.preventDefault();
    setValidation({ state: 'checking' });
    try {
      setValidation({ state: 'done', value: await postJson<FlagsValidation>('/api/flags/validate', { document: draft }) });
    } catch (error) {
      setValidation({ state: 'error', message: errorMessage(error) });
    }
  };

  const runExplain = async (event: Event): Promise<void> => {
    event.preventDefault();
    const parsed = parseContext(contextText);
    if ('error' in parsed) {
      setExplain({ state: 'error', message: parsed.error });
      return;
    }
    const context = { ...parsed.context, ...(region.trim() === '' ? {} : { region: region.trim() }) };
    setExplain({ state: 'asking' });
    try {
      setExplain({ state: 'done', value: await postJson<FlagsExplanation>('/api/flags/explain', { taskName: taskName.trim(), context }) });
    } catch (error) {
      setExplain({ state: 'error', message: errorMessage(error) });
    }
  };

  return (
    <section aria-labelledby="flags-title">
      <h1 id="flags-title">Routing flags</h1>
      {loadError === undefined ? null : (
        <p class="error" role="alert">
          {loadError}
        </p>
      )}
      {current === undefined ? (
        loadError === undefined ? <p aria-busy="true">Loading the routing document…</p> : null
      ) : (
        <div class="flags-grid">
          <div>
            <h2>In force</h2>
            <p class="muted">
              Source: <code>{current.source}</code>
              {current.version === undefined ? null : <> · version {current.version}</>}
            </p>
            <pre class="document" tabIndex={0} aria-label="Routing document in force">
              {current.document}
            </pre>
          </div>
          <form onSubmit={(event) => void validate(event)} aria-labelledby="draft-title">
            <h2 id="draft-title">Draft</h2>
            <label for="draft" class="hint">Edit a draft and validate it. Nothing is saved or deployed from here.</label>
            <textarea
              id="draft"
              name="draft"
              rows={18}
              spellcheck={false}
              value={draft}
              onInput={(event) => {
                setDraft((event.currentTarget as HTMLTextAreaElement).value);
                setValidation({ state: 'idle' });
              }}
            />
            <div class="buttons">
              <button type="submit">Validate draft</button>
              <button type="button" class="secondary" onClick={() => setDraft(current.document)}>
                Reset to the document in force
              </button>
            </div>
            <div aria-live="polite">
              {validation.state === 'checking' ? <p aria-busy="true">Validating…</p> : null}
              {validation.state === 'error' ? (
                <p class="error" role="alert">
                  {validation.message}
                </p>
              ) : null}
              {validation.state === 'done' && validation.value.valid ? (
                <p class="ok" data-validation="valid">
                  The draft is valid.
                </p>
              ) : null}
              {validation.state === 'done' && !validation.value.valid ? (
                <div class="problems" data-validation="invalid">
                  <p class="error">
                    The draft is invalid: {validation.value.problems.length} problem{validation.value.problems.length === 1 ? '' : 's'}.
                  </p>
                  <ul>
                    {validation.value.problems.map((problem, index) => (
                      <li key={index}>
                        <code>{problem.path === '' ? '(document)' : problem.path}</code> {problem.message}
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
            </div>
          </form>
        </div>
      )}

      <form class="explain" onSubmit={(event) => void runExplain(event)} aria-labelledby="explain-title">
        <h2 id="explain-title">Explain a route</h2>
        <div class="filters">
          <label>
            Task name
            <input type="text" name="taskName" required value={taskName} placeholder="email.send" onInput={(event) => setTaskName((event.currentTarget as HTMLInputElement).value)} />
          </label>
          <label>
            Region
            <input type="text" name="region" value={region} placeholder="any" onInput={(event) => setRegion((event.currentTarget as HTMLInputElement).value)} />
          </label>
          <label>
            Context (key=value per line)
            <textarea name="context" rows={2} value={contextText} onInput={(event) => setContextText((event.currentTarget as HTMLTextAreaElement).value)} />
          </label>
          <div class="buttons">
            <button type="submit">Explain</button>
          </div>
        </div>
        <div aria-live="polite">
          {explain.state === 'asking' ? <p aria-busy="true">Evaluating…</p> : null}
          {explain.state === 'error' ? (
            <p class="error" role="alert">
              {explain.message}
            </p>
          ) : null}
          {explain.state === 'done' ? <RoutingExplanationView explanation={explain.value} /> : null}
        </div>
      </form>
    </section>
  );
}
