export * from './lazy-dep.mjs';
import exp from 'pkg-exports';
export default exp;
