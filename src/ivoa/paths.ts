/** Where the IVOA services live in the URL space (SPEC section 5); the LSST face shares /db/v0/tap. */
export const IVOA_PATHS = {
  tap: '/db/v0/tap',
  tapAsync: '/db/v0/tap/async',
  sia: '/image/v0/sia',
  soda: '/image/v0/soda',
  datalink: '/image/v0/datalink',
  imageHips: '/image/v0/hips',
  catalogHips: '/db/v0/hips',
  scs: '/db/v0/scs',
} as const;

/** The segments after /image/v0/ that name IVOA services, never an image level or a job. */
export const IVOA_IMAGE_SEGMENTS: readonly string[] = ['sia', 'soda', 'datalink', 'hips'];
