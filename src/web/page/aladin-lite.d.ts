/** The part of the aladin-lite package (which ships no types) the sky view uses. */
declare module 'aladin-lite' {
  interface AladinCatalog {
    addSources(sources: unknown[]): void;
  }
  interface AladinView {
    addCatalog(c: AladinCatalog): void;
    setImageSurvey(url: string): void;
    gotoRaDec(ra: number, dec: number): void;
  }
  const A: {
    init: Promise<void>;
    aladin(el: HTMLElement | string, options: Record<string, unknown>): AladinView;
    catalog(options: Record<string, unknown>): AladinCatalog;
    source(ra: number, dec: number, data?: Record<string, unknown>): unknown;
  };
  export default A;
}
