/** The Hono environment of the pages: what the first middleware puts on every request. */
import type { KeyIdentity } from '../../auth/keys.js';
import type { PageFrame } from './layout.js';

export type UiEnv = {
  Variables: {
    /** Mount path, CSP nonce, login state and project name for the layout. */
    frame: PageFrame;
    /** The verified key of the request (null when none, or when keys are not required). */
    identity: KeyIdentity | null;
  };
};
