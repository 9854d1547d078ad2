/** Vitest setup file: after each test file, remove the temp folders it made with `tempDir` (test/helpers/temp-dir.ts). */
import { afterAll } from 'vitest';
import { removeTempDirs } from '../helpers/temp-dir.js';

afterAll(removeTempDirs);
