/**
 * @trainkit/progress — metric history (JSON/CSV) and SVG training charts; terminal progress
 * bars live in `@trainkit/progress/node`.
 * @packageDocumentation
 */
export {};
