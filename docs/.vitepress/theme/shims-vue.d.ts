declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent;
  export default component;
}

/** Stylesheets imported for their side effect (Vite bundles them). */
declare module '*.css';
