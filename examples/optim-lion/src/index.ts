export { lion, scaleByLion } from './lion.js';
