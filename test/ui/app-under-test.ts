/**
 * The app the browser tests drive: the real server (`createApp`) with the
 * pages mounted at /ui by it.
 */
import type { Hono } from 'hono';
import { createApp } from '../../src/server/app.js';
import type { Project } from '../../src/project.js';

export async function createUiApp(project: Project): Promise<Hono> {
  return createApp(project);
}
