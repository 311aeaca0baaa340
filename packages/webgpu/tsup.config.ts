import { defineConfig } from 'tsup';
import { preset } from '../../scripts/tsup.preset';

export default defineConfig(preset(['src/index.ts']));
