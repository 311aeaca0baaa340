export { lion, scaleByLion } from './lion';
